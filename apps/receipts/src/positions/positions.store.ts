import { Kysely, sql } from 'kysely';
import { PositionMove } from './read.rules';
import type { DB } from '../db.generated';

/** The SQL of read positions and receipts that several commands share. */

/**
 * Serialises one reader's commands on one conversation (a position move and their receipts), so
 * a receipt is never counted both as a receipt and through the position. Readers never wait on
 * each other: the lock is per (conversation, user).
 */
export async function lockReader(trx: Kysely<DB>, conversationId: string, userId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${conversationId} || '|' || ${userId}, 0))`.execute(trx);
}

/**
 * Moves a position forward atomically: the upsert only changes the row when the new seq is ahead
 * (`WHERE excluded.seq > t.seq`), so two devices racing can never move it back. The reported
 * position follows only while the user reports reads. Returns nothing when nothing moved.
 */
export async function advancePosition(
  trx: Kysely<DB>,
  p: { conversationId: string; userId: string; seq: number; reported: boolean; now: number },
): Promise<PositionMove | undefined> {
  const { rows } = await sql<{ seq: number; prev_seq: number; rpos: number; prev_rpos: number; version: number }>`
    INSERT INTO read_positions AS t (conversation_id, user_id, seq, prev_seq, rpos, prev_rpos, read_at, reported_at, version)
    VALUES (${p.conversationId}, ${p.userId}, ${p.seq}, 0, ${p.reported ? p.seq : 0}, 0, ${p.now}, ${p.reported ? p.now : null}, 1)
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET
      prev_seq = t.seq,
      prev_rpos = t.rpos,
      seq = excluded.seq,
      read_at = excluded.read_at,
      rpos = CASE WHEN ${p.reported}::boolean THEN excluded.seq ELSE t.rpos END,
      reported_at = CASE WHEN ${p.reported}::boolean THEN excluded.read_at ELSE t.reported_at END,
      version = t.version + 1
    WHERE excluded.seq > t.seq
    RETURNING seq, prev_seq, rpos, prev_rpos, version`.execute(trx);
  const r = rows[0];
  return r && { seq: r.seq, prevSeq: r.prev_seq, rpos: r.rpos, prevRpos: r.prev_rpos, version: r.version };
}

export async function currentPosition(db: Kysely<DB>, conversationId: string, userId: string): Promise<{ seq: number; rpos: number }> {
  const row = await db
    .selectFrom('read_positions')
    .select(['seq', 'rpos'])
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return { seq: row?.seq ?? 0, rpos: row?.rpos ?? 0 };
}

/**
 * The reported position reached (from, to]: the reader's receipts there now count through the
 * position (no longer on their own), and the flusher is told which messages may have new readers.
 */
export async function recordReportedMove(trx: Kysely<DB>, conversationId: string, userId: string, range: { from: number; to: number }): Promise<void> {
  await sql`
    DELETE FROM uncovered_receipts
     WHERE conversation_id = ${conversationId} AND user_id = ${userId} AND seq <= ${range.to}`.execute(trx);
  await recordChanges(trx, [{ conversationId, from: range.from, to: range.to }]);
}

/** Queues seq ranges (from exclusive, to inclusive) whose messages may have new readers. */
export async function recordChanges(trx: Kysely<DB>, ranges: Array<{ conversationId: string; from: number; to: number }>): Promise<void> {
  if (ranges.length === 0) return;
  await trx
    .insertInto('receipt_changes')
    .values(ranges.map((r) => ({ conversation_id: r.conversationId, from_seq: r.from, to_seq: r.to })))
    .execute();
}

/** The last message at or before `seq` that `userId` can see (directed ones only if theirs). */
export async function lastVisibleMessage(
  db: Kysely<DB>,
  conversationId: string,
  seq: number,
  userId: string,
): Promise<{ messageUId: string; sentTime: number } | null> {
  const { rows } = await sql<{ message_uid: string; sent_time: number }>`
    SELECT message_uid, sent_time FROM receipt_messages
     WHERE conversation_id = ${conversationId} AND seq <= ${seq}
       AND (directed_user_ids IS NULL OR sender_id = ${userId} OR ${userId} = ANY(directed_user_ids))
     ORDER BY seq DESC LIMIT 1`.execute(db);
  return rows[0] ? { messageUId: rows[0].message_uid, sentTime: rows[0].sent_time } : null;
}
