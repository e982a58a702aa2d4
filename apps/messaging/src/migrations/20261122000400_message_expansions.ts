import { Kysely, Migration, sql } from 'kysely';

/** The expansion each message carries in history, from the expansions service's events. */
export const messageExpansions: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE message_expansions (
        message_uid text PRIMARY KEY,
        expansion jsonb NOT NULL,
        version bigint NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE message_expansions`.execute(db);
  },
};
