import { Kysely, Migration, sql } from 'kysely';

/** What the expansions service knows of each stored message: whether it may carry an expansion. */
export const messageRefs: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE message_refs (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        sender_id text NOT NULL,
        can_include_expansion boolean NOT NULL,
        sent_time bigint NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE message_refs`.execute(db);
  },
};
