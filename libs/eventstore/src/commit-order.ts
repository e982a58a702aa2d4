import { Kysely, Migration, sql } from 'kysely';

/**
 * The relay's order: commit order, recorded at commit.
 *
 * The first relay read events by transaction id (xid8), which Postgres hands out at a
 * transaction's first write, not at its commit; to skip nothing it read only what was older
 * than the oldest transaction running anywhere in the cluster, so one transaction left open in
 * any database held every service's events back.
 *
 * Now each transaction that appended events takes a number at its commit: a deferred
 * constraint trigger, run once per transaction as it commits, takes the schema's commit lock
 * (a transaction-scoped advisory lock) and records (nextval, its xid) in `event_commits`. The
 * lock is released only after the transaction is visible, so numbers become visible in the
 * order they were taken: what a reader sees is always every committed transaction up to some
 * number (an aborted one leaves a hole nobody will fill). The relay reads past its checkpoint
 * without waiting for anyone, and a transaction still running has no number yet: it cannot be
 * overtaken, it comes after.
 *
 * The lock is held only for the commit itself (its WAL flush); group commit keeps the number
 * of appending transactions low. Partitioned by conversation later, each partition gets its own
 * lock and sequence.
 */
export function commitOrderMigration(schema: string): Migration {
  const lockKey = `${schema}.event-commit-order`;
  return {
    async up(db: Kysely<any>) {
      await sql`CREATE SEQUENCE event_commit_seq`.execute(db);
      await sql`
        CREATE TABLE event_commits (
          commit_seq bigint PRIMARY KEY,
          transaction_id xid8 NOT NULL UNIQUE
        )`.execute(db);
      // What was appended before: one number per transaction, in the old relay order.
      await sql`
        INSERT INTO event_commits (commit_seq, transaction_id)
        SELECT row_number() OVER (ORDER BY transaction_id), transaction_id FROM (SELECT DISTINCT transaction_id FROM events) t`.execute(db);
      await sql`SELECT setval('event_commit_seq', greatest((SELECT max(commit_seq) FROM event_commits), 1), (SELECT count(*) > 0 FROM event_commits))`.execute(db);
      // The relay's checkpoint in the new order: the last transaction it had published in full
      // (one it published in part is published again, and the stream drops the duplicates).
      await sql`ALTER TABLE relay_checkpoint ADD COLUMN commit_seq bigint NOT NULL DEFAULT 0`.execute(db);
      await sql`
        UPDATE relay_checkpoint r SET commit_seq = coalesce((
          SELECT max(c.commit_seq) FROM event_commits c
           WHERE c.transaction_id < r.transaction_id
              OR (c.transaction_id = r.transaction_id
                  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.transaction_id = c.transaction_id AND e.global_position > r.global_position))), 0)`.execute(db);
      await sql`ALTER TABLE relay_checkpoint DROP COLUMN transaction_id`.execute(db);
      await sql.raw(`
        CREATE FUNCTION record_event_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          -- Once per transaction: the first of its events' deferred triggers does the work.
          IF current_setting('im.event_commit_recorded', true) = 'yes' THEN RETURN NULL; END IF;
          PERFORM set_config('im.event_commit_recorded', 'yes', true);
          PERFORM pg_advisory_xact_lock(hashtext('${lockKey}'));
          INSERT INTO ${schema}.event_commits (commit_seq, transaction_id)
          VALUES (nextval('${schema}.event_commit_seq'), pg_current_xact_id());
          RETURN NULL;
        END $$`).execute(db);
      await sql`
        CREATE CONSTRAINT TRIGGER events_commit_order AFTER INSERT ON events
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_event_commit()`.execute(db);
    },
    async down(db: Kysely<any>) {
      await sql`DROP TRIGGER IF EXISTS events_commit_order ON events`.execute(db);
      await sql`DROP FUNCTION IF EXISTS record_event_commit()`.execute(db);
      await sql`ALTER TABLE relay_checkpoint ADD COLUMN transaction_id xid8 NOT NULL DEFAULT '0'`.execute(db);
      await sql`ALTER TABLE relay_checkpoint DROP COLUMN IF EXISTS commit_seq`.execute(db);
      await sql`DROP TABLE IF EXISTS event_commits`.execute(db);
      await sql`DROP SEQUENCE IF EXISTS event_commit_seq`.execute(db);
    },
  };
}
