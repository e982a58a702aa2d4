import { Kysely, Migration, sql } from 'kysely';

/**
 * Queued read changes wake the flusher (one notification per committing transaction) instead
 * of it polling; and the queue needs no checkpoint any more (change-queue.ts: a flush takes
 * what is visible and deletes exactly that).
 */
export const changeNotifications: Migration = {
  async up(db: Kysely<any>) {
    await sql.raw(`
      CREATE FUNCTION notify_receipt_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify(current_schema() || '_receipt_changes', ''); RETURN NULL; END $$`).execute(db);
    await sql`CREATE TRIGGER receipt_changes_notify AFTER INSERT ON receipt_changes FOR EACH STATEMENT EXECUTE FUNCTION notify_receipt_changes()`.execute(db);
    await sql`DROP TABLE receipt_flush_checkpoint`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`CREATE TABLE receipt_flush_checkpoint (id integer PRIMARY KEY CHECK (id = 1), transaction_id xid8 NOT NULL, change_id bigint NOT NULL)`.execute(db);
    await sql`INSERT INTO receipt_flush_checkpoint VALUES (1, '0'::xid8, 0)`.execute(db);
    await sql`DROP TRIGGER IF EXISTS receipt_changes_notify ON receipt_changes`.execute(db);
    await sql`DROP FUNCTION IF EXISTS notify_receipt_changes()`.execute(db);
  },
};
