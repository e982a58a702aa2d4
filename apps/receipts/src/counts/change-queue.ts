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

/** Whether anything is queued: one index probe. */
export async function anyQueued(db: Kysely<DB>): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM receipt_changes LIMIT 1`.execute(db);
  return rows.length > 0;
}

/** Takes up to `limit` queued changes (the flusher's leader lock keeps other flushes out). */
export async function takeChanges(trx: Kysely<DB>, limit: number): Promise<Taken> {
  const { rows } = await sql<{ transaction_id: string; id: number; conversation_id: string; from_seq: number; to_seq: number }>`
    SELECT transaction_id::text AS transaction_id, id, conversation_id, from_seq, to_seq FROM receipt_changes
     ORDER BY transaction_id, id
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
