import { Kysely, Migration, sql } from 'kysely';

/** The before-send callback (one per deployment), asked during sends (callbacks/before-send.gate.ts). */
export const beforeSendCallback: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE before_send_callback (
        id text PRIMARY KEY CHECK (id = 'app'),
        url text NOT NULL,
        secret text NOT NULL,
        timeout_ms int NOT NULL,
        object_names text[],
        on_timeout text NOT NULL CHECK (on_timeout IN ('allow', 'reject')),
        configured_at bigint NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE before_send_callback`.execute(db);
  },
};
