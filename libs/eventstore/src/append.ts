import { randomUUID } from 'node:crypto';
import { Errors, EVENTS, NewEvent } from '@im/contracts';
import { pgCode, pgConstraint, PgCode } from '@im/db';
import { Kysely, sql } from 'kysely';

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
  const base = expectedVersion === 'any' ? await currentVersion(trx, streamId) : expectedVersion;
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

async function currentVersion(trx: Kysely<any>, streamId: string): Promise<number> {
  const row = await sql<{ v: number | null }>`SELECT max(stream_version) AS v FROM events WHERE stream_id = ${streamId}`.execute(trx);
  return Number(row.rows[0]?.v ?? 0);
}
