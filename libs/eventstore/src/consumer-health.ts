import { JetStreamManager } from '@nats-io/jetstream';
import { Kysely, sql } from 'kysely';
import { ParkedPlace } from './parked';

/** How one projection stands on one stream, as the health report shows it. */
export interface ConsumerHealth {
  projection: string;
  stream: string;
  /** The last stream sequence applied (null before the first batch). */
  checkpoint: number | null;
  /** The stream's last sequence. */
  lastSequence: number;
  /** How many stream messages are not applied yet. */
  lag: number;
  /** While behind: seconds since the checkpoint last moved (null if it never has). 0 when caught up. */
  secondsBehind: number | null;
  /** Messages parked and not yet retried or dropped (`npm run parked -- list`). */
  parked: number;
  /** Gaps recorded (events no longer in the stream when the consumer reached them). */
  gaps: number;
}

/**
 * Read from the database and the streams, not from a consumer in memory, so every replica
 * answers the same whichever one leads. Seconds behind are counted by Postgres, whose clock
 * also stamped the checkpoint.
 */
export async function consumersHealth(db: Kysely<any>, jsm: JetStreamManager, places: ParkedPlace[]): Promise<ConsumerHealth[]> {
  const streams = [...new Set(places.map((p) => p.stream))];
  const [infos, { rows }] = await Promise.all([
    Promise.all(streams.map((s) => jsm.streams.info(s))),
    sql<{ projection: string; stream: string; checkpoint: number | null; idle: number | null; parked: number; gaps: number }>`
      SELECT p.projection, p.stream, c.stream_sequence AS checkpoint,
             extract(epoch FROM now() - c.updated_at)::float8 AS idle,
             (SELECT count(*)::int FROM parked_events e WHERE e.projection = p.projection AND e.stream = p.stream AND e.kind = 'poison') AS parked,
             (SELECT count(*)::int FROM parked_events e WHERE e.projection = p.projection AND e.stream = p.stream AND e.kind = 'gap') AS gaps
        FROM unnest(${places.map((p) => p.projection)}::text[], ${places.map((p) => p.stream)}::text[]) AS p(projection, stream)
        LEFT JOIN projection_checkpoints c ON c.projection = p.projection AND c.stream = p.stream`.execute(db),
  ]);
  const state = new Map(streams.map((s, i) => [s, infos[i].state]));
  return rows.map((r) => {
    const { first_seq, last_seq } = state.get(r.stream)!;
    const checkpoint = r.checkpoint === null ? null : Number(r.checkpoint);
    const lag = Math.max(0, last_seq - (checkpoint ?? Math.max(0, first_seq - 1)));
    return {
      projection: r.projection,
      stream: r.stream,
      checkpoint,
      lastSequence: last_seq,
      lag,
      secondsBehind: lag === 0 ? 0 : r.idle === null ? null : Math.round(r.idle),
      parked: r.parked,
      gaps: r.gaps,
    };
  });
}
