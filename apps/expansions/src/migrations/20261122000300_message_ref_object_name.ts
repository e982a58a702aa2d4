import { Kysely, Migration, sql } from 'kysely';

/**
 * Each message's type, so a PATCH knows a red packet's message (whose packet keys members may
 * not touch) from the same row that lets it see the message at all. Messages stored before this
 * are red packets' exactly when a packet names them.
 */
export const messageRefObjectName: Migration = {
  async up(db: Kysely<any>) {
    await sql`ALTER TABLE message_refs ADD COLUMN object_name text`.execute(db);
    await sql`
      UPDATE message_refs SET object_name = 'app:red_packet'
       WHERE message_uid IN (SELECT message_uid FROM red_packets WHERE message_uid IS NOT NULL)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`ALTER TABLE message_refs DROP COLUMN object_name`.execute(db);
  },
};
