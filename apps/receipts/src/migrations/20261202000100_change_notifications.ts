import { Kysely, Migration, sql } from 'kysely';

/** Queued read changes wake the flusher (one notification per committing transaction) instead of it polling. */
export const changeNotifications: Migration = {
  async up(db: Kysely<any>) {
    await sql.raw(`
      CREATE FUNCTION notify_receipt_changes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify(current_schema() || '_receipt_changes', ''); RETURN NULL; END $$`).execute(db);
    await sql`CREATE TRIGGER receipt_changes_notify AFTER INSERT ON receipt_changes FOR EACH STATEMENT EXECUTE FUNCTION notify_receipt_changes()`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TRIGGER IF EXISTS receipt_changes_notify ON receipt_changes`.execute(db);
    await sql`DROP FUNCTION IF EXISTS notify_receipt_changes()`.execute(db);
  },
};
