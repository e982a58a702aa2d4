import { Errors } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { evolve, initialPosition, ReadEvent, ReadPosition, reportedRange } from './read-position.decider';
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

/** The reader's position, read under `lockReader` (which every writer of it takes first). */
export async function loadPosition(trx: Kysely<DB>, conversationId: string, userId: string): Promise<ReadPosition> {
  const row = await trx
    .selectFrom('read_positions')
    .select(['seq', 'rpos', 'read_at', 'reported_at', 'version'])
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!row) return initialPosition();
  return { seq: row.seq, rpos: row.rpos, readAt: row.read_at, reportedAt: row.reported_at, version: row.version };
}

/**
 * Appends the reader's events and writes what follows from them: the position row (the state
 * after them), and, when the reported position moved, the receipts it now covers. The upsert
 * still only moves forward in SQL (`WHERE excluded.seq > t.seq`): Postgres holds the rule too, and
 * a writer that did not take the lock fails here instead of moving the position back.
 */
export async function writeEvents(
  trx: Kysely<DB>,
  conversationId: string,
  userId: string,
  before: ReadPosition,
  events: ReadEvent[],
): Promise<ReadPosition> {
  if (events.length === 0) return before;
  const after = events.reduce(evolve, before);
  const row = {
    seq: after.seq,
    prev_seq: before.seq,
    rpos: after.rpos,
    prev_rpos: before.rpos,
    read_at: after.readAt,
    reported_at: after.reportedAt,
  };
  const { rows } = await sql<{ version: number }>`
    INSERT INTO read_positions AS t (conversation_id, user_id, seq, prev_seq, rpos, prev_rpos, read_at, reported_at, version)
    VALUES (${conversationId}, ${userId}, ${row.seq}, ${row.prev_seq}, ${row.rpos}, ${row.prev_rpos},
            ${row.read_at}, ${row.reported_at}, ${after.version})
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET
      seq = excluded.seq, prev_seq = excluded.prev_seq, rpos = excluded.rpos, prev_rpos = excluded.prev_rpos,
      read_at = excluded.read_at, reported_at = excluded.reported_at, version = excluded.version
    WHERE excluded.seq > t.seq
    RETURNING version`.execute(trx);
  if (rows.length === 0) throw Errors.conflict('CONCURRENCY_CONFLICT', 'the read position moved meanwhile', { conversationId });
  const range = reportedRange(before, after);
  if (range) await recordReportedMove(trx, conversationId, userId, range);
  const now = new Date(after.readAt!);
  await appendToStream(trx, `read-${conversationId}-${userId}`, before.version, events, now);
  return after;
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
async function recordReportedMove(
  trx: Kysely<DB>,
  conversationId: string,
  userId: string,
  range: { from: number; to: number },
): Promise<void> {
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
