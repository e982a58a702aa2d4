import { ServiceName } from '@im/contracts';
import { JetStreamManager } from '@nats-io/jetstream';
import { Kysely, sql } from 'kysely';
import type { ProjectionConsumer } from './consumer';
import type { RpcClient } from './rpc';

/** How long a barrier waits for copies to catch up; past it the request is answered as things are. */
export const BARRIER_WAIT_MS = 3_000;

/**
 * An owner's position: everything it had committed when asked, published. Waits until the
 * relay's checkpoint has passed the last committed transaction (commit-order.ts), then answers
 * with its stream's last sequence, which is then at or past that transaction's events. Any
 * replica answers (the checkpoint is in Postgres), whichever one leads the relay.
 */
export async function publishedPosition(db: Kysely<any>, jsm: JetStreamManager, stream: string, until: number): Promise<{ streamSequence: number }> {
  const { rows } = await sql<{ commit_seq: number; global_position: number }>`
    SELECT c.commit_seq, (SELECT max(e.global_position) FROM events e WHERE e.transaction_id = c.transaction_id) AS global_position
      FROM event_commits c ORDER BY c.commit_seq DESC LIMIT 1`.execute(db);
  const target = rows[0];
  while (target) {
    const { rows: cp } = await sql<{ published: boolean }>`
      SELECT (commit_seq, global_position) >= (${target.commit_seq}::bigint, ${target.global_position}::bigint) AS published FROM relay_checkpoint`.execute(db);
    if (cp[0]?.published || Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  return { streamSequence: (await jsm.streams.info(stream)).state.last_seq };
}

/**
 * The read barrier: until every local copy of another service's log (and of our own, for our
 * own projections) has applied what its owner had committed when the barrier began. The
 * owners are asked for their position (`position` RPC) only here, so a request whose copies
 * were current costs nothing extra; the RPC edge calls this when a handler's refusal may come
 * from a copy behind (a 404), and before a read a writer asked to be consistent.
 */
export class ReadBarrier {
  constructor(
    private readonly rpc: RpcClient,
    private readonly consumers: () => ProjectionConsumer[],
  ) {}

  get active(): boolean {
    return this.consumers().length > 0;
  }

  private readonly shared = new Map<ServiceName, { inFlight?: Promise<void>; queued?: Promise<void> }>();

  /**
   * `sync` of the copies of one owner's log, shared by callers at once: at most one in flight and
   * one queued. The one in flight may have asked the owner before a newcomer arrived, so
   * newcomers wait for the next one, which starts after them; a storm of commands costs two
   * owner round trips at a time, not one each.
   */
  syncShared(source: ServiceName): Promise<void> {
    let slot = this.shared.get(source);
    if (!slot) this.shared.set(source, (slot = {}));
    const s = slot;
    if (!s.inFlight) {
      s.inFlight = this.sync(BARRIER_WAIT_MS, source).finally(() => (s.inFlight = undefined));
      return s.inFlight;
    }
    s.queued ??= s.inFlight
      .catch(() => undefined)
      .then(() => {
        s.queued = undefined;
        return this.syncShared(source);
      });
    return s.queued;
  }

  /** `only`: the copies of that owner's log alone (the others may be far behind for reasons of their own). */
  async sync(waitMs = BARRIER_WAIT_MS, only?: ServiceName): Promise<void> {
    const until = Date.now() + waitMs;
    const bySource = new Map<ServiceName, ProjectionConsumer[]>();
    for (const c of this.consumers()) {
      if (only === undefined || c.source === only) bySource.set(c.source, [...(bySource.get(c.source) ?? []), c]);
    }
    await Promise.all(
      [...bySource].map(async ([source, consumers]) => {
        // An owner that does not answer cannot have anything newer to wait for: go on as things are.
        const position = (await this.rpc.raw(source, 'position', {}, waitMs).catch(() => null)) as { streamSequence: number } | null;
        if (position) await Promise.all(consumers.map((c) => c.waitFor(position.streamSequence, until)));
      }),
    );
  }
}

/** The codes a copy that is behind can cause: a barrier, then one more try, before they are believed. */
export const COPY_MISS_CODES = new Set(['NOT_FOUND', 'RECEIVER_NOT_MEMBER', 'DIRECTED_USER_NOT_MEMBER', 'READ_SEQ_AHEAD']);

