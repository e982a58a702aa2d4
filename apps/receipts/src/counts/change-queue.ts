import { Kysely, sql } from 'kysely';

/**
 * The flusher's side of `receipt_changes`. Rows are read in (transaction, id) order past a
 * checkpoint, and only from transactions older than every running one (xid8 below the snapshot's
 * xmin), so a writer that took its id early but committed late is never skipped. What was taken
 * is deleted by range, so no scan ever walks over rows already done.
 */
export interface Checkpoint {
  transactionId: string;
  id: number;
}

export interface Change {
  conversationId: string;
  from: number;
  to: number;
}

export async function loadCheckpoint(db: Kysely<any>): Promise<Checkpoint> {
  const { rows } = await sql<{ transaction_id: string; change_id: number }>`
    SELECT transaction_id::text AS transaction_id, change_id FROM receipt_flush_checkpoint WHERE id = 1`.execute(db);
  return { transactionId: rows[0].transaction_id, id: Number(rows[0].change_id) };
}

/** Whether anything was queued past the checkpoint: one index probe. */
export async function anyQueued(db: Kysely<any>, cp: Checkpoint): Promise<boolean> {
  const { rows } = await sql`
    SELECT 1 FROM receipt_changes WHERE (transaction_id, id) > (${cp.transactionId}::xid8, ${cp.id}) LIMIT 1`.execute(db);
  return rows.length > 0;
}

/** Takes up to `limit` changes past the checkpoint; returns them and the checkpoint after them. */
export async function takeChanges(trx: Kysely<any>, cp: Checkpoint, limit: number): Promise<{ changes: Change[]; next: Checkpoint }> {
  const { rows } = await sql<{ transaction_id: string; id: number; conversation_id: string; from_seq: number; to_seq: number }>`
    SELECT transaction_id::text AS transaction_id, id, conversation_id, from_seq, to_seq FROM receipt_changes
     WHERE (transaction_id, id) > (${cp.transactionId}::xid8, ${cp.id})
       AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY transaction_id, id
     LIMIT ${limit}`.execute(trx);
  if (rows.length === 0) return { changes: [], next: cp };
  const last = rows[rows.length - 1];
  const next = { transactionId: last.transaction_id, id: Number(last.id) };
  const changes = rows.map((r) => ({ conversationId: r.conversation_id, from: Number(r.from_seq), to: Number(r.to_seq) }));
  return { changes, next };
}

/** Forgets the changes between two checkpoints and moves the checkpoint, in the flush's transaction. */
export async function ackChanges(trx: Kysely<any>, from: Checkpoint, to: Checkpoint): Promise<void> {
  await sql`
    DELETE FROM receipt_changes
     WHERE (transaction_id, id) > (${from.transactionId}::xid8, ${from.id})
       AND (transaction_id, id) <= (${to.transactionId}::xid8, ${to.id})`.execute(trx);
  await sql`UPDATE receipt_flush_checkpoint SET transaction_id = ${to.transactionId}::xid8, change_id = ${to.id} WHERE id = 1`.execute(trx);
}
