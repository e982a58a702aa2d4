import { randomUUID } from 'node:crypto';
import { Errors, EVENTS, NewEvent, ServiceName, SERVICES } from '@im/contracts';
import { pgCode, pgConstraint, PgCode } from '@im/db';
import { Kysely, sql } from 'kysely';
import { currentTraceparent } from '@im/observability';
import { toEnvelope } from './envelope';

/**
 * The largest envelope an event may have: the relay publishes each event as one NATS message,
 * and one that does not fit would stall the relay on it. NATS's default max_payload (1 MiB, which
 * the deployment must not lower) less 4 KiB for what travels with it: the Nats-Msg-Id header, the
 * protocol line. The envelope is measured with the longest service name and position it can have.
 */
export const MAX_EVENT_ENVELOPE_BYTES = 1024 * 1024 - 4 * 1024;

/** The longest source name and position an envelope can carry, so the measure is never short. */
const LONGEST_SERVICE: ServiceName = [...SERVICES].sort((a, b) => b.length - a.length)[0];
const WIDEST_POSITION = Number.MAX_SAFE_INTEGER;
/** A traceparent is always this long: the measure counts one in. */
const SAMPLE_TRACEPARENT = `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01`;

export type ExpectedVersion = number | 'any';

export interface AppendResult {
  /** The stream's version after the append. */
  version: number;
  eventIds: string[];
}

/**
 * Appends events to one stream inside the caller's transaction, so they commit or vanish with
 * the state they justify. `expectedVersion` is the version the caller read; a concurrent writer
 * that got there first makes the unique (stream_id, stream_version) index refuse this one.
 */
export async function appendToStream(
  trx: Kysely<any>,
  streamId: string,
  expectedVersion: ExpectedVersion,
  events: NewEvent[],
  now: Date,
  metadata: Record<string, unknown> = {},
): Promise<AppendResult> {
  const traceparent = currentTraceparent();
  if (traceparent) metadata = { traceparent, ...metadata };
  const base = expectedVersion === 'any' ? await currentVersion(trx, streamId) : expectedVersion;
  // Before anything is written: throwing here rolls back the caller's whole transaction.
  for (const e of events) assertEnvelopeFits(streamId, e, now);
  const rows = events.map((e, i) => ({
    event_id: randomUUID(),
    stream_id: streamId,
    stream_version: base + i + 1,
    type: e.type,
    data_version: EVENTS[e.type].version,
    data: JSON.stringify(e.data),
    metadata: JSON.stringify(metadata),
    occurred_at: now,
  }));
  try {
    await trx.insertInto('events').values(rows).execute();
  } catch (e) {
    if (pgCode(e) === PgCode.UNIQUE_VIOLATION && pgConstraint(e) === 'events_stream_version_unique') {
      throw Errors.conflict('CONCURRENCY_CONFLICT', `stream ${streamId} moved past version ${base}`, { streamId, expectedVersion: base });
    }
    throw e;
  }
  return { version: base + events.length, eventIds: rows.map((r) => r.event_id) };
}

/** Refuses (413) an event whose envelope, as the relay will publish it, would not fit in one NATS message. */
export function assertEnvelopeFits(streamId: string, event: NewEvent, now: Date): void {
  const envelope = toEnvelope(LONGEST_SERVICE, {
    global_position: WIDEST_POSITION,
    event_id: randomUUID(),
    stream_id: streamId,
    type: event.type,
    data_version: EVENTS[event.type].version,
    data: event.data,
    occurred_at: now,
    metadata: { traceparent: SAMPLE_TRACEPARENT },
  });
  const bytes = Buffer.byteLength(JSON.stringify(envelope), 'utf8');
  if (bytes > MAX_EVENT_ENVELOPE_BYTES) throw Errors.eventTooLarge(event.type, bytes, MAX_EVENT_ENVELOPE_BYTES);
}

async function currentVersion(trx: Kysely<any>, streamId: string): Promise<number> {
  const row = await sql<{ v: number | null }>`SELECT max(stream_version) AS v FROM events WHERE stream_id = ${streamId}`.execute(trx);
  return Number(row.rows[0]?.v ?? 0);
}
