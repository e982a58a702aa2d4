import { Kysely, sql } from 'kysely';
import { peekIdentity } from './decode';

/**
 * The `parked_events` table: what a projection consumer stepped over, so it is never silently
 * lost. A `poison` row is one message the projection could not apply (with its raw payload, so
 * it can be retried); a `gap` row is a run of sequences that were no longer in the stream when
 * the consumer reached them (trimmed, deleted, or the stream recreated), recorded so an
 * operator can rebuild. Rows are written in the transaction that moves the checkpoint past them.
 */
export type ParkedKind = 'poison' | 'gap';

export interface ParkedEvent {
  id: number;
  kind: ParkedKind;
  projection: string;
  stream: string;
  stream_sequence: number;
  last_sequence: number | null;
  event_id: string | null;
  event_type: string | null;
  subject: string | null;
  payload: Buffer | null;
  error: string;
  attempts: number;
  parked_at: Date;
  retry_requested_at: Date | null;
}

/** Where a parked message was: a projection's view of one stream. */
export interface ParkedPlace {
  projection: string;
  stream: string;
}

export async function parkEvent(
  trx: Kysely<any>,
  at: ParkedPlace & { streamSequence: number; subject: string; payload: Uint8Array; error: string },
): Promise<void> {
  const { id, type } = peekIdentity(at.payload);
  await sql`
    INSERT INTO parked_events (kind, projection, stream, stream_sequence, event_id, event_type, subject, payload, error)
    VALUES ('poison', ${at.projection}, ${at.stream}, ${at.streamSequence}, ${cleanText(id, 200)}, ${cleanText(type, 200)},
            ${cleanText(at.subject, 500)}, ${Buffer.from(at.payload)}, ${cleanText(at.error, 2000)})`.execute(trx);
}

export async function recordGap(trx: Kysely<any>, at: ParkedPlace & { from: number; to: number | null; error: string }): Promise<void> {
  await sql`
    INSERT INTO parked_events (kind, projection, stream, stream_sequence, last_sequence, error)
    VALUES ('gap', ${at.projection}, ${at.stream}, ${at.from}, ${at.to}, ${cleanText(at.error, 2000)})`.execute(trx);
}

export async function listParked(db: Kysely<any>, where: Partial<ParkedPlace> = {}): Promise<ParkedEvent[]> {
  const { rows } = await sql<ParkedEvent>`
    SELECT * FROM parked_events
     WHERE (${where.projection ?? null}::text IS NULL OR projection = ${where.projection ?? null})
       AND (${where.stream ?? null}::text IS NULL OR stream = ${where.stream ?? null})
     ORDER BY id`.execute(db);
  return rows;
}

/**
 * Queues a parked message for the running consumer of its projection, which re-applies it
 * between batches (serially with the stream, in a transaction that also deletes the row) within
 * a few seconds. Gaps cannot be retried: their events are gone from the stream.
 */
export async function requestRetry(db: Kysely<any>, id: number): Promise<ParkedEvent> {
  const { rows } = await sql<ParkedEvent>`
    UPDATE parked_events SET retry_requested_at = now() WHERE id = ${id} AND kind = 'poison' RETURNING *`.execute(db);
  if (rows[0]) return rows[0];
  const exists = await sql<{ kind: string }>`SELECT kind FROM parked_events WHERE id = ${id}`.execute(db);
  throw new Error(exists.rows[0] ? `#${id} is a gap: its events are no longer in the stream (rebuild the projection, then drop it)` : `no parked event #${id}`);
}

export async function dropParked(db: Kysely<any>, id: number): Promise<ParkedEvent> {
  const { rows } = await sql<ParkedEvent>`DELETE FROM parked_events WHERE id = ${id} RETURNING *`.execute(db);
  if (!rows[0]) throw new Error(`no parked event #${id}`);
  return rows[0];
}

/** The consumer's side of `requestRetry`: the oldest queued retries of one projection's stream. */
export async function queuedRetries(db: Kysely<any>, at: ParkedPlace, limit = 20): Promise<ParkedEvent[]> {
  const { rows } = await sql<ParkedEvent>`
    SELECT * FROM parked_events
     WHERE projection = ${at.projection} AND stream = ${at.stream} AND kind = 'poison' AND retry_requested_at IS NOT NULL
     ORDER BY id LIMIT ${limit}`.execute(db);
  return rows;
}

/** A retry that failed for good again: the row stays, with the new error, off the queue. */
export async function retryFailed(db: Kysely<any>, id: number, error: string): Promise<void> {
  await sql`
    UPDATE parked_events SET error = ${cleanText(error, 2000)}, attempts = attempts + 1, retry_requested_at = NULL
     WHERE id = ${id}`.execute(db);
}

export interface ParkedCount extends ParkedPlace {
  parked: number;
  gaps: number;
}

export async function parkedCounts(db: Kysely<any>): Promise<ParkedCount[]> {
  const { rows } = await sql<ParkedCount>`
    SELECT projection, stream,
           count(*) FILTER (WHERE kind = 'poison')::int AS parked,
           count(*) FILTER (WHERE kind = 'gap')::int AS gaps
      FROM parked_events GROUP BY projection, stream`.execute(db);
  return rows;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text from a message anyone could have published goes into text columns: Postgres refuses
 * NUL, and a refusal here would stall the consumer on the very message it is stepping over.
 * (Cut first, then clean: a cut can split a surrogate pair.)
 */
export function cleanText(s: string | undefined, max: number): string | null {
  if (s === undefined) return null;
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  return cut.replace(LONE_SURROGATE, '\uFFFD').replace(/\u0000/g, '\\u0000');
}
