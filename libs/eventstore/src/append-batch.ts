import { randomUUID } from 'node:crypto';
import { Errors, EVENTS, NewEvent } from '@im/contracts';
import { pgCode, pgConstraint, PgCode } from '@im/db';
import { Kysely } from 'kysely';
import { currentTraceparent } from '@im/observability';
import { assertEnvelopeFits } from './append';
import { eventMetadata } from './envelope';

/** One event at the version its stream's writer reserved for it (under the stream's lock). */
export interface PlacedEvent {
  streamId: string;
  version: number;
  event: NewEvent;
  /** The trace of the command that caused it (group commit writes many commands' events at once); else the current one. */
  traceparent?: string;
}

/**
 * Appends events of many streams in one statement, inside the caller's transaction: a batch of
 * commands (group commit) costs one insert, not one per event. Each event comes with the
 * version its writer reserved; a collision still fails the whole insert as a conflict.
 */
export async function appendToStreams(trx: Kysely<any>, events: PlacedEvent[], now: Date): Promise<string[]> {
  for (const e of events) assertEnvelopeFits(e.streamId, e.event, now);
  const current = currentTraceparent();
  const rows = events.map((e) => ({
    event_id: randomUUID(),
    stream_id: e.streamId,
    stream_version: e.version,
    type: e.event.type,
    data_version: EVENTS[e.event.type].version,
    data: JSON.stringify(e.event.data),
    metadata: eventMetadata(e.traceparent ?? current),
    occurred_at: now,
  }));
  try {
    await trx.insertInto('events').values(rows).execute();
  } catch (e) {
    throw asStreamConflict(e, events.map((x) => x.streamId));
  }
  return rows.map((r) => r.event_id);
}

/**
 * A unique violation of a stream's version, from a write that placed events at reserved
 * versions, as the 409 it means (someone else moved the stream); any other error as it is.
 */
export function asStreamConflict(e: unknown, streamIds: string[]): unknown {
  if (pgCode(e) === PgCode.UNIQUE_VIOLATION && pgConstraint(e) === 'events_stream_version_unique') {
    return Errors.conflict('CONCURRENCY_CONFLICT', 'a stream moved past a reserved version', { streams: [...new Set(streamIds)] });
  }
  return e;
}
