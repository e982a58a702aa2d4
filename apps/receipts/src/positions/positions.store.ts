import { Errors } from '@im/contracts';
import { appendToStreams, PlacedEvent } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { initialPosition, ReadEvent, ReadPosition, reportedRange } from './read-position.decider';
import type { DB } from '../db.generated';

/** The SQL of read positions and receipts that several commands share. */

/** A reader in one conversation: the key of their position and of their lock. */
export interface ReaderKey {
  conversationId: string;
  userId: string;
}

export const readerKey = (k: ReaderKey) => `${k.conversationId}\u0000${k.userId}`;

/**
 * Serialises each reader's commands on one conversation (a position move and their receipts), so
 * a receipt is never counted both as a receipt and through the position. Readers never wait on
 * each other: the lock is per (conversation, user). A batch takes its readers' locks in one
 * statement, in the order of the lock keys, the same order for every batch, so two batches that
 * share readers wait for one another and never deadlock.
 */
export async function lockReaders(trx: Kysely<DB>, readers: readonly ReaderKey[]): Promise<void> {
  if (readers.length === 0) return;
  await sql`
    SELECT count(pg_advisory_xact_lock(k)) FROM (
      SELECT DISTINCT hashtextextended(c || '|' || u, 0) AS k FROM unnest(${readers.map((r) => r.conversationId)}::text[], ${readers.map((r) => r.userId)}::text[]) AS t(c, u)
       ORDER BY 1) keys`.execute(trx);
}

/** The readers' positions, read under `lockReaders` (which every writer of them takes first); absent ones are initial. */
export async function loadPositions(trx: Kysely<DB>, readers: readonly ReaderKey[]): Promise<Map<string, ReadPosition>> {
  const out = new Map<string, ReadPosition>(readers.map((r) => [readerKey(r), initialPosition()]));
  if (readers.length === 0) return out;
  const { rows } = await sql<{ conversation_id: string; user_id: string; seq: number; rpos: number; read_at: number; reported_at: number | null; version: number }>`
    SELECT p.conversation_id, p.user_id, p.seq, p.rpos, p.read_at, p.reported_at, p.version
      FROM unnest(${readers.map((r) => r.conversationId)}::text[], ${readers.map((r) => r.userId)}::text[]) AS t(c, u)
      JOIN read_positions p ON p.conversation_id = t.c AND p.user_id = t.u`.execute(trx);
  for (const r of rows) {
    out.set(readerKey({ conversationId: r.conversation_id, userId: r.user_id }), {
      seq: r.seq,
      rpos: r.rpos,
      readAt: r.read_at,
      reportedAt: r.reported_at,
      version: r.version,
    });
  }
  return out;
}

/** One reader's events, and the position before and after them. */
export interface PositionMove extends ReaderKey {
  before: ReadPosition;
  after: ReadPosition;
  /** With the trace of the read that caused each (a batch writes many readers' events at once). */
  events: Array<{ event: ReadEvent; traceparent: string | undefined }>;
}

/**
 * Writes what follows from the readers' events: each position row (the state after them, one
 * row per reader however many of their reads the batch holds), the receipts their reported
 * positions now cover, the changes the flusher recounts, and the events, in four statements for
 * the whole batch. The upsert still only moves forward in SQL (`WHERE excluded.seq > t.seq`):
 * Postgres holds the rule too, and a writer that did not take the lock fails here instead of
 * moving a position back.
 */
export async function writeMoves(trx: Kysely<DB>, moves: readonly PositionMove[], now: Date): Promise<void> {
  const moved = moves.filter((m) => m.events.length > 0);
  if (moved.length === 0) return;
  const col = <T>(f: (m: PositionMove) => T) => moved.map(f);
  const { rows } = await sql<{ n: number }>`
    WITH up AS (
      INSERT INTO read_positions AS t (conversation_id, user_id, seq, prev_seq, rpos, prev_rpos, read_at, reported_at, version)
      SELECT * FROM unnest(${col((m) => m.conversationId)}::text[], ${col((m) => m.userId)}::text[], ${col((m) => m.after.seq)}::bigint[],
                           ${col((m) => m.before.seq)}::bigint[], ${col((m) => m.after.rpos)}::bigint[], ${col((m) => m.before.rpos)}::bigint[],
                           ${col((m) => m.after.readAt)}::bigint[], ${col((m) => m.after.reportedAt)}::bigint[], ${col((m) => m.after.version)}::int[])
      ON CONFLICT (conversation_id, user_id) DO UPDATE SET
        seq = excluded.seq, prev_seq = excluded.prev_seq, rpos = excluded.rpos, prev_rpos = excluded.prev_rpos,
        read_at = excluded.read_at, reported_at = excluded.reported_at, version = excluded.version
      WHERE excluded.seq > t.seq
      RETURNING 1)
    SELECT count(*)::int AS n FROM up`.execute(trx);
  if (rows[0].n !== moved.length) {
    throw Errors.conflict('CONCURRENCY_CONFLICT', 'a read position moved meanwhile', { conversationId: moved[0].conversationId });
  }
  const reported = moved.map((m) => ({ m, range: reportedRange(m.before, m.after) })).filter((x) => x.range !== null);
  if (reported.length > 0) {
    await sql`
      DELETE FROM uncovered_receipts u
       USING unnest(${reported.map((x) => x.m.conversationId)}::text[], ${reported.map((x) => x.m.userId)}::text[], ${reported.map((x) => x.range!.to)}::bigint[]) AS r(c, u, t)
       WHERE u.conversation_id = r.c AND u.user_id = r.u AND u.seq <= r.t`.execute(trx);
    await recordChanges(trx, reported.map((x) => ({ conversationId: x.m.conversationId, from: x.range!.from, to: x.range!.to })));
  }
  const placed: PlacedEvent[] = moved.flatMap((m) =>
    m.events.map((e, i) => ({ streamId: `read-${m.conversationId}-${m.userId}`, version: m.before.version + i + 1, event: e.event, traceparent: e.traceparent })),
  );
  await appendToStreams(trx, placed, now);
}

/** The readers' reported positions (0 for none), read under `lockReaders`. */
export async function reportedPositions(trx: Kysely<DB>, readers: readonly ReaderKey[]): Promise<Map<string, number>> {
  const positions = await loadPositions(trx, readers);
  return new Map([...positions].map(([k, p]) => [k, p.rpos]));
}

/** Queues seq ranges (from exclusive, to inclusive) whose messages may have new readers. */
export async function recordChanges(trx: Kysely<DB>, ranges: Array<{ conversationId: string; from: number; to: number }>): Promise<void> {
  if (ranges.length === 0) return;
  await trx
    .insertInto('receipt_changes')
    .values(ranges.map((r) => ({ conversation_id: r.conversationId, from_seq: r.from, to_seq: r.to })))
    .execute();
}

/** What a read needs to know of the last message it reaches. */
export interface VisibleAsk extends ReaderKey {
  seq: number;
}

/**
 * For each ask, the last message at or before its seq that its user can see (directed ones only
 * if theirs), in one statement: one index probe per ask, backwards from the seq.
 */
export async function lastVisibleMessages(
  db: Kysely<DB>,
  asks: readonly VisibleAsk[],
): Promise<Array<{ messageUId: string; sentTime: number } | null>> {
  if (asks.length === 0) return [];
  const { rows } = await sql<{ i: number; message_uid: string | null; sent_time: number | null }>`
    SELECT a.i::int AS i, x.message_uid, x.sent_time
      FROM unnest(${asks.map((a) => a.conversationId)}::text[], ${asks.map((a) => a.seq)}::bigint[], ${asks.map((a) => a.userId)}::text[])
           WITH ORDINALITY AS a(c, s, u, i)
      LEFT JOIN LATERAL (
        SELECT message_uid, sent_time FROM receipt_messages
         WHERE conversation_id = a.c AND seq <= a.s
           AND (directed_user_ids IS NULL OR sender_id = a.u OR a.u = ANY(directed_user_ids))
         ORDER BY seq DESC LIMIT 1) x ON true`.execute(db);
  const out: Array<{ messageUId: string; sentTime: number } | null> = asks.map(() => null);
  for (const r of rows) if (r.message_uid !== null) out[r.i - 1] = { messageUId: r.message_uid, sentTime: r.sent_time! };
  return out;
}
