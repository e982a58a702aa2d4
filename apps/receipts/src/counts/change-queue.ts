import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

/**
 * The flusher's side of `receipt_changes`: a queue in which order does not matter (a flush
 * recounts every message a change touched, and recounting is idempotent). A flush takes what
 * is visible, oldest first, and deletes exactly the rows it took in the same transaction. A
 * change still being written is invisible and is taken by a later flush: nothing waits for a
 * running transaction, here or anywhere else in the cluster.
 */
export interface Change {
  conversationId: string;
  from: number;
  to: number;
}

/** What a flush took: the changes, and the keys that delete exactly those rows. */
export interface Taken {
  changes: Change[];
  keys: { transactionIds: string[]; ids: number[] };
}

/**
 * Whether anything is queued: the first key of the primary key's index. (A bare `LIMIT 1` was a
 * sequential scan, which walks every dead row the flushes left: 10-24 ms a probe after a bench
 * on this Postgres without autovacuum; see `vacuumQueue`.)
 */
export async function anyQueued(db: Kysely<DB>): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM receipt_changes ORDER BY transaction_id, id LIMIT 1`.execute(db);
  return rows.length > 0;
}

/**
 * Reclaims the rows flushes deleted. The queue is insert-then-delete, so every change leaves a
 * dead row; without a vacuum (autovacuum may be off, or behind) probes walk them all. The leader
 * runs it when it has emptied the queue after taking many: outside any transaction, on a table
 * that is then nearly empty, so it costs a few ms.
 */
export async function vacuumQueue(db: Kysely<DB>): Promise<void> {
  await sql`VACUUM receipt_changes`.execute(db);
}

/**
 * Takes up to `limit` queued changes (the flusher's leader lock keeps other flushes out), in the
 * primary key's order. The order names the table's column: a bare `transaction_id` meant the
 * output's text cast, which made every flush a sequential scan and a sort of the whole queue.
 */
export async function takeChanges(trx: Kysely<DB>, limit: number): Promise<Taken> {
  const { rows } = await sql<{ transaction_id: string; id: number; conversation_id: string; from_seq: number; to_seq: number }>`
    SELECT c.transaction_id::text AS transaction_id, c.id, c.conversation_id, c.from_seq, c.to_seq FROM receipt_changes c
     ORDER BY c.transaction_id, c.id
     LIMIT ${limit}`.execute(trx);
  return {
    changes: rows.map((r) => ({ conversationId: r.conversation_id, from: r.from_seq, to: r.to_seq })),
    keys: { transactionIds: rows.map((r) => r.transaction_id), ids: rows.map((r) => r.id) },
  };
}

/** Forgets the changes a flush took, in the flush's transaction. */
export async function ackChanges(trx: Kysely<DB>, { keys }: Taken): Promise<void> {
  if (keys.ids.length === 0) return;
  await sql`
    DELETE FROM receipt_changes
     WHERE (transaction_id, id) IN (SELECT * FROM unnest(${keys.transactionIds}::xid8[], ${keys.ids}::bigint[]))`.execute(trx);
}
