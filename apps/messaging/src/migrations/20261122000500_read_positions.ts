import { Kysely, Migration, sql } from 'kysely';

/**
 * Read positions from the receipts service: members found by position (a message applied after
 * a read that covers it), and positions waiting for their member's join to be applied.
 */
export const readPositions: Migration = {
  async up(db: Kysely<any>) {
    await sql`CREATE INDEX conversation_members_by_position ON conversation_members (conversation_id, read_seq)`.execute(db);
    await sql`
      CREATE TABLE pending_reads (
        conversation_id text NOT NULL,
        user_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE pending_reads`.execute(db);
    await sql`DROP INDEX conversation_members_by_position`.execute(db);
  },
};
