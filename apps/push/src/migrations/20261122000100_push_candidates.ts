import { Kysely, Migration, sql } from 'kysely';

/** Messages that may be pushed: stored, not status, not opted out with disablePush. */
export const pushCandidates: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE push_candidates (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        sender_id text NOT NULL,
        object_name text NOT NULL,
        sent_time bigint NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE push_candidates`.execute(db);
  },
};
