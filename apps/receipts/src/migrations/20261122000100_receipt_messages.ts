import { Kysely, Migration, sql } from 'kysely';

/** The stored messages the receipts service tracks, with their seq so positions can cover them. */
export const receiptMessages: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE receipt_messages (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        seq bigint NOT NULL,
        sender_id text NOT NULL,
        need_read_receipt boolean NOT NULL,
        sent_time bigint NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX receipt_messages_by_position ON receipt_messages (conversation_id, seq)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE receipt_messages`.execute(db);
  },
};
