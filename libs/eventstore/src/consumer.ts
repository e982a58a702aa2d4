import { EventEnvelope, ServiceName, Subjects } from '@im/contracts';
import { AckPolicy, DeliverPolicy, JsMsg, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { openSpan, parseTraceparent, traceStore, tracingEnabled } from '@im/observability';
import { Kysely, sql } from 'kysely';
import { decodeEvent, schemaProblem } from './decode';
import { classifyFailure, describeError } from './failure';
import { LeaderLock, OwnConnectionLock, PooledConnectionLock } from './leader';
import { Logger } from './logger';
import { parkEvent, queuedRetries, recordGap, retryFailed } from './parked';
import { projectionProgress } from './progress';
import { AppliedEvent, DEFAULT_LINGER_UNDER_LOAD_MS, handlesEvent, Projection } from './projection';

export interface ConsumerOptions {
  db: Kysely<any>;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  /** The service that owns the projection (names the durable consumer). */
  owner: ServiceName;
  source: ServiceName;
  projection: Projection;
  batchSize?: number;
  logger?: Logger;
  /**
   * The leader lock's own connection (services pass their DATABASE_URL). Without it the lock is
   * held on a connection pinned from the pool, which is fine for tests but dies with the process
   * on a database restart (see leader.ts).
   */
  databaseUrl?: string;
  /** Test hook: called before each batch is applied; throwing simulates a failing projection. */
  beforeApply?: (batch: JsMsg[]) => void | Promise<void>;
}

const GAP_RETRY_MS = 100;
/** How long the applier waits, once woken from idle, for the rest of what is arriving. */
const LINGER_MS = 3;
/**
 * Under load (the last batch was applied moments ago, and was not small) it waits longer, the
 * projection's `lingerUnderLoadMs`: every batch costs a transaction (BEGIN with the checkpoint,
 * COMMIT: round trips that cost more than the rows), so fewer, bigger batches are cheaper per
 * event, for a few more ms of projection lag. Sporadic traffic (a few events at a time) keeps
 * the short wait, so one service's copy is not left behind another's for no gain.
 */
const BUSY_WITHIN_MS = 40;
const BUSY_BATCH = 8;
const PRESENT_RECHECK_MS = 5_000;
const LEADER_RETRY_MS = 1_000;
/** How often a leader checks that it still is one, and runs retries an operator queued. */
const LEADER_CHECK_MS = 3_000;
const LEADER_CHECK_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 10_000;
/** Consecutive transient failures before each further one is logged as a warning. */
export const WARN_AFTER_FAILURES = 5;

/** What one transaction over a run of messages did. */
interface RunResult {
  /** Applied, skipped as redelivered, or parked: acked after the commit. */
  done: JsMsg[];
  /** From the first message past a missing sequence on. */
  early: JsMsg[];
  /** After a parked culprit: the next run's. */
  rest: JsMsg[];
  /** The checkpoint before and after the run. */
  start: number;
  last: number;
  parked: Array<{ msg: JsMsg; error: string }>;
}

/** The projection threw on one message; the batch's transaction rolled back. */
class ApplyFailed extends Error {
  constructor(
    readonly msg: JsMsg,
    readonly event: EventEnvelope,
    readonly failure: unknown,
  ) {
    super(describeError(failure));
  }
}

/** The projection's applyBatch threw: the transaction rolled back; the batch goes again event by event. */
class BatchFailed extends Error {
  constructor(readonly failure: unknown) {
    super(describeError(failure));
  }
}

/** The checkpoint moved under us (another leader, a rebuild): the batch rolls back and is retried. */
class CheckpointMoved extends Error {
  override readonly name = 'CheckpointMoved';
}

/** What the checkpoint's compare-and-set raises when the checkpoint was not where we left it. */
const DIVISION_BY_ZERO = '22012';

/**
 * The last sequence a run applies: contiguous from `start` (anything at or below it is done
 * already), up to a gap, and no further than the culprit. Sequences only: decided before the
 * transaction, so the checkpoint's move can be its first statement.
 */
export function runEnd(pending: JsMsg[], start: number, culpritSeq?: number): number {
  let last = start;
  for (const m of pending) {
    const seq = m.info.streamSequence;
    if (seq <= last) continue;
    if (seq !== last + 1) break;
    last = seq;
    if (seq === culpritSeq) break;
  }
  return last;
}

/**
 * Feeds one source stream into one projection through a durable pull consumer.
 *
 * Each batch of what has arrived is applied in one Postgres transaction together with the
 * checkpoint (the last stream sequence applied), and acked only after commit. The consumer
 * takes the whole stream unfiltered, so sequences are contiguous: a message at or below the
 * checkpoint is a redelivery (acked, skipped) and one past the next expected is early (nak'd,
 * so it comes back after the one it must follow) unless the one it follows is no longer in
 * the stream (a gap: recorded, stepped over).
 *
 * Unfiltered also when the projection handles only some of the stream's types (`handles`): a
 * subject filter would leave holes in the sequences that look like gaps, and telling them apart
 * would cost a stream lookup per hole. The other types are decoded (a poison message is parked
 * whatever its type), stepped over without calling the projection, and checkpointed and acked
 * with the batch.
 *
 * When the projection throws, the error decides (failure.ts). A permanent one (bad JSON, a
 * shape the projection cannot take, a refusal) parks the message that caused it: the batch is
 * applied again up to it, the message goes to `parked_events` in the same transaction that
 * moves the checkpoint past it, and the rest follows. A transient one naks the batch with
 * exponential backoff. Either way nothing is applied twice and nothing is acked uncommitted.
 */
export class ProjectionConsumer {
  private running = false;
  private leading = false;
  private loop?: Promise<void>;
  private stopCurrent?: () => void;
  /** Read barriers waiting for this copy now (waitFor), and how to cut the current long linger short for them. */
  private waiters = 0;
  private hurry?: () => void;
  private wakeSleeper?: () => void;
  private failures = 0;
  private ticking = false;
  /** Batches and queued retries run one at a time, in this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The checkpoint after which the next sequence was last seen in the stream, and when. */
  private present = { after: -1, at: 0 };
  /** Since start, in this process. */
  readonly stats = { parked: 0, gaps: 0, retried: 0, transientFailures: 0 };
  /** The checkpoint as this leader last committed it: saves reading it back for every batch. */
  private knownCheckpoint?: number;
  /**
   * For `lagSeconds`: whether messages are waiting, and the stored time (ms) of the first one
   * not applied yet, or, while a backlog drains, of the last one applied (an upper bound).
   */
  private readonly lag = { behind: false, since: 0 };


  constructor(private readonly o: ConsumerOptions) {}

  get stream(): string {
    return this.o.subjects.stream(this.o.source);
  }

  get projectionName(): string {
    return this.o.projection.name;
  }

  get durable(): string {
    return this.o.subjects.durable(this.o.owner, this.o.projection.name);
  }

  /**
   * How far behind the projection is, in seconds: now minus the stored time of what it has not
   * applied yet while messages wait (bounded above by the time of the last one applied), 0 when
   * caught up, and 0 on a replica that does not lead (the leader reports). Read at scrape time.
   */
  lagSeconds(now = Date.now()): number {
    return this.leading && this.lag.behind ? Math.max(0, (now - this.lag.since) / 1000) : 0;
  }

  /** Whether this replica feeds the projection right now. */
  get isLeader(): boolean {
    return this.leading;
  }

  async start(): Promise<void> {
    this.running = true;
    await this.ensureConsumer();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopCurrent?.();
    this.wakeSleeper?.();
    await this.loop;
  }

  /**
   * The durable consumer, acked cumulatively (AckPolicy.All): everything at or below the
   * checkpoint is settled, so one ack per batch does. A durable made by an older version (acked
   * one by one) is made again: the checkpoint in Postgres, not the durable, says where to resume.
   */
  private durableConfig() {
    return {
      durable_name: this.durable,
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30_000_000_000,
      max_ack_pending: 1024,
    };
  }

  async ensureConsumer(): Promise<void> {
    const config = this.durableConfig();
    const info = await this.o.jsm.consumers.info(this.stream, this.durable).catch(() => undefined);
    if (info?.config.ack_policy === AckPolicy.All) return;
    if (info) await this.o.jsm.consumers.delete(this.stream, this.durable);
    await this.o.jsm.consumers.add(this.stream, config);
  }

  /**
   * A new leader makes the durable again, starting just after the checkpoint: what the previous
   * leader had been delivered and not acked (it died, say, with a batch in hand) would otherwise
   * come back only after ack_wait (30 s), and everything after it would wait as long.
   */
  private async takeOverDurable(): Promise<void> {
    const { rows } = await sql<{ s: number }>`
      SELECT stream_sequence AS s FROM projection_checkpoints WHERE projection = ${this.o.projection.name} AND stream = ${this.stream}`.execute(this.o.db);
    if (rows.length === 0) return; // a first start: the durable delivers from the beginning anyway
    await this.o.jsm.consumers.delete(this.stream, this.durable).catch(() => undefined);
    await this.o.jsm.consumers.add(this.stream, {
      ...this.durableConfig(),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Number(rows[0].s) + 1,
    });
  }

  /**
   * One replica at a time feeds a projection: with several pulling one durable consumer, each
   * would get every other event and wait for the rest. Leadership is a session advisory lock
   * (leader.ts), rechecked every few seconds; the others retry, and take over when the leader
   * stops, dies, or loses its session.
   */
  private async run(): Promise<void> {
    const key = `im-projection:${this.stream}:${this.durable}`;
    const lock: LeaderLock = this.o.databaseUrl
      ? new OwnConnectionLock(this.o.databaseUrl, key, this.o.logger, () => this.stepDown())
      : new PooledConnectionLock(this.o.db, key);
    while (this.running) {
      try {
        if (await lock.tryAcquire()) {
          try {
            await this.lead(lock);
          } finally {
            await lock.release();
          }
        }
      } catch (e) {
        this.o.logger?.warn(`${this.durable}: ${(e as Error).message}`);
      }
      if (this.running) await this.pause(LEADER_RETRY_MS);
    }
    await lock.release();
  }

  private async lead(lock: LeaderLock): Promise<void> {
    this.leading = true;
    this.knownCheckpoint = undefined;
    const ticker = setInterval(() => void this.tick(lock), LEADER_CHECK_MS);
    try {
      await this.takeOverDurable().catch((e) => this.o.logger?.warn(`${this.durable}: could not take the durable over (${(e as Error).message})`));
      while (this.running && this.leading) {
        try {
          await this.ensureConsumer();
          await this.reconcileStream();
          await this.consumeOnce();
        } catch (e) {
          this.o.logger?.warn(`${this.durable}: ${(e as Error).message}; resubscribing`);
        }
        if (this.running && this.leading) await this.pause(500);
      }
    } finally {
      clearInterval(ticker);
      this.leading = false;
    }
  }

  /** The leader's heartbeat: still leading? Then apply the retries an operator queued. */
  private async tick(lock: LeaderLock): Promise<void> {
    if (this.ticking || !this.leading) return;
    this.ticking = true;
    try {
      if (!(await lock.stillHeld(LEADER_CHECK_TIMEOUT_MS))) {
        this.stepDown();
        return;
      }
      await this.exclusive(() => this.applyQueuedRetries());
    } catch (e) {
      this.o.logger?.warn(`${this.durable}: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** The lock's session is gone: stop pulling now (a batch under way ends, its commit is compare-and-set). */
  private stepDown(): void {
    if (!this.leading) return;
    this.o.logger?.warn(`${this.durable}: the leader's database session is gone; stepping down`);
    this.leading = false;
    this.stopCurrent?.();
  }

  /** One subscription: a reader fills a buffer, the applier drains it in batches. */
  private async consumeOnce(): Promise<void> {
    const consumer = await this.o.js.consumers.get(this.stream, this.durable);
    const messages = await consumer.consume({ max_messages: this.o.batchSize ?? 256 });
    const buffer: JsMsg[] = [];
    let lastApplied = 0;
    let lastSize = 0;
    const busyLinger = this.o.projection.lingerUnderLoadMs ?? DEFAULT_LINGER_UNDER_LOAD_MS;
    let wake: (() => void) | undefined;
    let ended = false;
    const end = () => {
      ended = true;
      wake?.();
    };
    this.stopCurrent = () => {
      messages.stop();
      end();
    };
    // A stop (or a lost lock) that came while this subscription was being set up.
    if (!this.running || !this.leading) this.stopCurrent();
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') messages.stop();
      }
    })().catch(() => undefined);
    void (async () => {
      for await (const m of messages) {
        if (!this.lag.behind) {
          this.lag.behind = true;
          this.lag.since = m.info.timestampNanos / 1e6;
        }
        buffer.push(m);
        wake?.();
      }
    })()
      .catch(() => undefined)
      .finally(end);

    while (!ended || buffer.length > 0) {
      if (buffer.length === 0) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        // The relay publishes a commit's events together, and they arrive one by one: a moment's
        // wait lets the batch hold them all (one transaction instead of several), for a few ms of lag.
        const busy = lastSize >= BUSY_BATCH && Date.now() - lastApplied < BUSY_WITHIN_MS;
        if (buffer.length < (this.o.batchSize ?? 256)) await (busy && this.waiters === 0 ? this.lingerFor(busyLinger) : sleep(LINGER_MS));
        continue;
      }
      if (!this.running || !this.leading) {
        buffer.splice(0).forEach((m) => m.nak());
        break;
      }
      const batch = buffer.splice(0, this.o.batchSize ?? 256);
      await this.exclusive(() => this.traced(batch));
      lastApplied = Date.now();
      lastSize = batch.length;
      this.noteProgress(batch, buffer.length);
    }
  }

  /** A span per batch when traces are exported, in the trace of its first event (the usual one-send batch). */
  private async traced(batch: JsMsg[]): Promise<void> {
    if (!tracingEnabled()) return this.process(batch);
    const span = openSpan(this.o.owner, `projection ${this.o.projection.name}`, parseTraceparent(peekTraceparent(batch[0].data)), 'consumer', {
      'im.projection': this.o.projection.name,
      'im.stream': this.stream,
      'im.batch_size': batch.length,
    });
    try {
      await traceStore.run(span.ctx, () => this.process(batch));
      span.end();
    } catch (e) {
      span.end(describeError(e));
      throw e;
    }
  }

  /** After a batch: caught up (nothing buffered, nothing pending, all applied), or still behind since when. */
  private noteProgress(batch: JsMsg[], buffered: number): void {
    const last = batch.reduce((hi, m) => (m.info.streamSequence > hi.info.streamSequence ? m : hi));
    const applied = (this.knownCheckpoint ?? -1) >= last.info.streamSequence;
    if (applied && buffered === 0 && last.info.pending === 0) this.lag.behind = false;
    else if (applied) this.lag.since = Math.max(this.lag.since, last.info.timestampNanos / 1e6);
  }

  private async process(batch: JsMsg[]): Promise<void> {
    let pending = [...batch].sort((a, b) => a.info.streamSequence - b.info.streamSequence);
    let culprit: { seq: number; error: string } | undefined;
    // Set-based while it succeeds; a batch that fails is applied again event by event, which
    // names the event that failed (and parks it, or backs off).
    let batched = this.o.projection.applyBatch !== undefined;
    while (pending.length > 0) {
      let run: RunResult;
      try {
        if (!culprit) await this.o.beforeApply?.(pending);
        run = await this.applyRun(pending, culprit, batched);
      } catch (e) {
        this.knownCheckpoint = undefined;
        if (e instanceof BatchFailed) {
          this.o.logger?.log(`${this.durable}: a batch failed as a set (${describeError(e.failure)}); applying it event by event`);
          batched = false;
          continue;
        }
        const verdict = e instanceof ApplyFailed ? this.verdict(e) : undefined;
        if (e instanceof ApplyFailed && verdict) {
          // Apply the batch again, this time parking the culprit instead of applying it.
          culprit = { seq: e.msg.info.streamSequence, error: verdict };
          continue;
        }
        await this.backOff(pending, e);
        return;
      }
      culprit = undefined;
      // Only progress ends a streak: a run of early messages alone says nothing about the failure.
      if (run.last !== run.start) this.failures = 0;
      this.knownCheckpoint = run.last;
      this.advanced(run.last);
      // AckPolicy.All: acking the highest acks everything before it (one ack per batch, not per event).
      if (run.done.length > 0) run.done.reduce((hi, m) => (m.info.streamSequence > hi.info.streamSequence ? m : hi)).ack();
      for (const p of run.parked) {
        this.stats.parked += 1;
        this.o.logger?.error(`${this.durable}: parked #${p.msg.info.streamSequence} (${p.msg.subject}): ${p.error}`);
      }
      if (run.rest.length > 0) {
        pending = run.rest;
      } else if (run.early.length > 0 && (await this.stepOverGap(run.last, run.early[0].info.streamSequence))) {
        pending = run.early;
      } else {
        // Their predecessor is on its way back; after failures, no sooner than it.
        const wait = this.failures > 0 ? backoffDelay(this.failures) : GAP_RETRY_MS;
        run.early.forEach((m) => m.nak(wait));
        return;
      }
    }
  }

  /** Why the culprit should be parked, or undefined when the failure may pass (retry). */
  private verdict(e: ApplyFailed): string | undefined {
    const kind = classifyFailure(e.failure);
    if (kind === 'permanent') return describeError(e.failure);
    if (kind === 'unknown') {
      const problem = schemaProblem(e.event);
      if (problem) return `${problem} (${describeError(e.failure)})`;
    }
    return undefined;
  }

  private async backOff(pending: JsMsg[], e: unknown): Promise<void> {
    this.failures += 1;
    this.stats.transientFailures += 1;
    const delay = backoffDelay(this.failures);
    const where = e instanceof ApplyFailed ? ` at #${e.msg.info.streamSequence}` : '';
    const line = `${this.durable}: batch failed${where} (${describeError(e instanceof ApplyFailed ? e.failure : e)}); try ${this.failures + 1} in ${delay} ms`;
    if (this.failures >= WARN_AFTER_FAILURES) this.o.logger?.warn(line);
    else if (this.failures === 1) this.o.logger?.log(line);
    pending.forEach((m) => m.nak(delay));
    await this.pause(delay);
  }

  /**
   * Applies `pending` in order, in one transaction with the checkpoint. A message that does not
   * decode is parked on the spot (nothing of it was written); `culprit` is one the projection
   * failed on for good in an earlier attempt, parked in its turn, after which the run stops.
   *
   * Which messages the run covers follows from their sequences alone (contiguous from the
   * checkpoint, up to a gap or the culprit), so the checkpoint's compare-and-set goes first, in
   * one round trip with BEGIN: a batch costs BEGIN+CAS, its statements, COMMIT.
   */
  private async applyRun(pending: JsMsg[], culprit: { seq: number; error: string } | undefined, batched: boolean): Promise<RunResult> {
    const { projection } = this.o;
    // The leader's own last commit, unless something may have moved it (then, and for a batch
    // that looks redelivered, the table says). A stale value cannot apply anything twice: the
    // compare-and-set refuses it and the batch is retried with the table's value.
    const known = this.knownCheckpoint;
    const start = known !== undefined && pending[0].info.streamSequence > known ? known : await this.checkpoint(this.o.db);
    const end = runEnd(pending, start, culprit?.seq);
    if (end === start) return { done: pending.filter((m) => m.info.streamSequence <= start), early: pending.filter((m) => m.info.streamSequence > start), rest: [], start, last: start, parked: [] };
    return this.inCheckpointedTransaction(start, end, async (trx) => {
      const run: RunResult = { done: [], early: [], rest: [], start, last: start, parked: [] };
      const group: AppliedEvent[] = [];
      let last = start;
      for (let i = 0; i < pending.length; i++) {
        const msg = pending[i];
        const seq = msg.info.streamSequence;
        if (seq <= last) {
          run.done.push(msg);
          continue;
        }
        if (seq !== last + 1) {
          run.early = pending.slice(i);
          break;
        }
        let parkWith = culprit?.seq === seq ? culprit.error : undefined;
        let event: EventEnvelope | undefined;
        if (!parkWith) {
          try {
            event = decodeEvent(msg.data, msg.subject, this.o.source, this.o.subjects);
          } catch (e) {
            parkWith = (e as Error).message;
          }
        }
        if (parkWith) {
          await parkEvent(trx, { projection: projection.name, stream: this.stream, streamSequence: seq, subject: msg.subject, payload: msg.data, error: parkWith });
          run.parked.push({ msg, error: parkWith });
        } else if (!handlesEvent(projection, event!)) {
          // Not one of the projection's types: stepped over, checkpointed with the rest.
        } else if (batched) {
          group.push({ event: event!, meta: { stream: this.stream, streamSequence: seq } });
        } else {
          try {
            const meta = { stream: this.stream, streamSequence: seq };
            // In the trace of the request that caused the event: a reaction's calls and lines join it.
            const trace = parseTraceparent(event!.traceparent);
            await (trace ? traceStore.run(trace, () => projection.apply(trx, event!, meta)) : projection.apply(trx, event!, meta));
          } catch (e) {
            throw new ApplyFailed(msg, event!, e);
          }
        }
        last = seq;
        run.done.push(msg);
        if (culprit?.seq === seq) {
          run.rest = pending.slice(i + 1);
          break;
        }
      }
      if (group.length > 0) {
        try {
          await projection.applyBatch!(trx, group);
        } catch (e) {
          throw new BatchFailed(e);
        }
      }
      if (last !== end) throw new Error(`${this.durable}: applied up to #${last}, planned #${end}`);
      run.last = last;
      return run;
    });
  }

  /**
   * `fn` in a transaction that first moves the checkpoint from `from` to `to`: BEGIN and the
   * compare-and-set are one simple query (literals, no parameters), so they cost one round trip.
   * Their row lock is held to the commit: another leader, or a rebuild, waits and then finds the
   * checkpoint moved (CheckpointMoved), so no event is applied twice.
   */
  private async inCheckpointedTransaction<T>(from: number, to: number, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
    return this.o.db.connection().execute(async (conn) => {
      try {
        await sql`BEGIN; WITH moved AS (
            UPDATE projection_checkpoints SET stream_sequence = ${sql.lit(to)}, updated_at = now()
             WHERE projection = ${sql.lit(this.o.projection.name)} AND stream = ${sql.lit(this.stream)} AND stream_sequence = ${sql.lit(from)}
            RETURNING 1)
          SELECT 1 / (SELECT count(*)::int FROM moved) AS moved`.execute(conn);
        const result = await fn(conn);
        await sql`COMMIT`.execute(conn);
        return result;
      } catch (e) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        if ((e as { code?: string }).code === DIVISION_BY_ZERO) throw new CheckpointMoved(`checkpoint of ${this.o.projection.name} moved past ${from} meanwhile`);
        throw e;
      }
    });
  }

  /**
   * An early message: either its predecessor is still in the stream (nak'd, redelivery pending:
   * wait for it) or it is gone (trimmed, deleted). Then the missing run is recorded as a gap and
   * the checkpoint steps over it, in one transaction; nothing is skipped unrecorded, nothing is
   * waited on forever. True when the checkpoint moved. While a predecessor is known to be there,
   * the stream is asked again only every few seconds (it could still be deleted before it is
   * redelivered).
   */
  private async stepOverGap(last: number, firstEarly: number): Promise<boolean> {
    this.knownCheckpoint = undefined;
    if (this.present.after === last && Date.now() - this.present.at < PRESENT_RECHECK_MS) return false;
    try {
      const query = { seq: last + 1, next_by_subj: '>' };
      const [info, next] = await Promise.all([this.o.jsm.streams.info(this.stream), this.o.jsm.streams.getMessage(this.stream, query)]);
      if (next?.seq === last + 1) {
        this.present = { after: last, at: Date.now() };
        return false;
      }
      // What is missing ends before the next message still stored, and before the one in hand.
      const to = Math.min(next ? next.seq - 1 : Infinity, firstEarly - 1);
      const how = info.state.first_seq > last + 1 ? 'trimmed from' : 'deleted from';
      const error = `sequences ${last + 1}..${to} were ${how} the stream before they were applied`;
      await this.o.db.transaction().execute(async (trx) => {
        await this.advanceCheckpoint(trx, last, to);
        await recordGap(trx, { projection: this.o.projection.name, stream: this.stream, from: last + 1, to, error });
      });
      this.gapRecorded(error);
      return true;
    } catch (e) {
      this.o.logger?.warn(`${this.durable}: could not look for a gap after #${last} (${describeError(e)})`);
      return false;
    }
  }

  /**
   * Before each subscription: is the checkpoint still about this stream? A stream created again
   * (another creation time, or fewer messages than the checkpoint) starts over at its first
   * sequence; one trimmed past the checkpoint (first sequence beyond it) resumes where it now
   * begins. Both are recorded as gaps and logged as errors: events may have been lost.
   */
  private async reconcileStream(): Promise<void> {
    this.knownCheckpoint = undefined;
    const info = await this.o.jsm.streams.info(this.stream);
    const { state, created } = info;
    const place = { projection: this.o.projection.name, stream: this.stream };
    const error = await this.o.db.transaction().execute(async (trx) => {
      const row = (
        await sql<{ stream_sequence: number; stream_created: string | null }>`
          SELECT stream_sequence, stream_created FROM projection_checkpoints
           WHERE projection = ${place.projection} AND stream = ${place.stream} FOR UPDATE`.execute(trx)
      ).rows[0];
      if (!row) return undefined;
      const at = Number(row.stream_sequence);
      const begin = Math.max(0, state.first_seq - 1);
      const set = (to: number) => sql`
        UPDATE projection_checkpoints SET stream_sequence = ${to}, stream_created = ${created}, updated_at = now()
         WHERE projection = ${place.projection} AND stream = ${place.stream}`.execute(trx);
      if ((row.stream_created !== null && row.stream_created !== created) || state.last_seq < at) {
        const message = `the stream was created again (at ${created}; the checkpoint was #${at} of the one before): starting over at #${begin + 1}`;
        await set(begin);
        await recordGap(trx, { ...place, from: at + 1, to: null, error: message });
        return message;
      }
      if (state.first_seq > at + 1) {
        const message = `sequences ${at + 1}..${state.first_seq - 1} were trimmed from the stream before they were applied`;
        await set(begin);
        await recordGap(trx, { ...place, from: at + 1, to: state.first_seq - 1, error: message });
        return message;
      }
      if (row.stream_created === null) await set(at);
      return undefined;
    });
    if (error) this.gapRecorded(error);
  }

  private gapRecorded(error: string): void {
    this.stats.gaps += 1;
    this.present = { after: -1, at: 0 };
    this.o.logger?.error(`${this.durable}: gap recorded: ${error}`);
  }

  /**
   * Parked messages an operator queued for retry (`npm run parked -- retry`), re-applied one by
   * one, in a transaction that also deletes the row. They come after events that followed them
   * in the stream; that is the operator's call. A permanent failure puts the row back with its
   * new error; a transient one leaves it queued for the next tick.
   */
  private async applyQueuedRetries(): Promise<void> {
    const place = { projection: this.o.projection.name, stream: this.stream };
    for (const row of await queuedRetries(this.o.db, place)) {
      let event: EventEnvelope | undefined;
      try {
        const applied = await this.o.db.transaction().execute(async (trx) => {
          const { rows } = await sql`DELETE FROM parked_events WHERE id = ${row.id} AND retry_requested_at IS NOT NULL RETURNING id`.execute(trx);
          if (rows.length === 0) return false;
          event = decodeEvent(row.payload ?? new Uint8Array(), row.subject ?? '', this.o.source, this.o.subjects);
          if (handlesEvent(this.o.projection, event)) {
            await this.o.projection.apply(trx, event, { stream: this.stream, streamSequence: Number(row.stream_sequence) });
          }
          return true;
        });
        if (applied) {
          this.stats.retried += 1;
          this.o.logger?.log(`${this.durable}: parked #${row.stream_sequence} (row ${row.id}) applied on retry`);
        }
      } catch (e) {
        const kind = classifyFailure(e);
        const problem = kind === 'unknown' && event ? schemaProblem(event) : undefined;
        if (kind === 'permanent' || problem) {
          const error = problem ? `${problem} (${describeError(e)})` : describeError(e);
          await retryFailed(this.o.db, row.id, error);
          this.o.logger?.error(`${this.durable}: parked #${row.stream_sequence} (row ${row.id}) failed again: ${error}`);
        } else {
          this.o.logger?.warn(`${this.durable}: retry of parked row ${row.id} failed for now (${describeError(e)}); it stays queued`);
          return;
        }
      }
    }
  }

  /**
   * The last applied sequence, read without a lock: a transaction that has written nothing
   * holds back no one, and the relays of every service publish only what is older than the
   * oldest writing transaction. A reaction that calls out (NATS, another service) before its
   * first write therefore delays nobody. With no checkpoint yet, the projection starts just
   * before the stream's first message (the stream may have been trimmed).
   */
  private async checkpoint(trx: Kysely<any>): Promise<number> {
    const select = () => sql<{ stream_sequence: number }>`
      SELECT stream_sequence FROM projection_checkpoints
       WHERE projection = ${this.o.projection.name} AND stream = ${this.stream}`.execute(trx);
    let row = (await select()).rows[0];
    if (!row) {
      const info = await this.o.jsm.streams.info(this.stream);
      await sql`
        INSERT INTO projection_checkpoints (projection, stream, stream_sequence, stream_created)
        VALUES (${this.o.projection.name}, ${this.stream}, ${Math.max(0, info.state.first_seq - 1)}, ${info.created})
        ON CONFLICT DO NOTHING`.execute(trx);
      row = (await select()).rows[0];
    }
    return Number(row.stream_sequence);
  }

  /**
   * Compare-and-set at commit: if another replica (or a rebuild) moved the checkpoint since we
   * read it, this batch's writes roll back and it is retried, so no event is applied twice.
   */
  private async advanceCheckpoint(trx: Kysely<any>, from: number, to: number): Promise<void> {
    const { rows } = await sql`
      UPDATE projection_checkpoints SET stream_sequence = ${to}, updated_at = now()
       WHERE projection = ${this.o.projection.name} AND stream = ${this.stream} AND stream_sequence = ${from}
      RETURNING stream_sequence`.execute(trx);
    if (rows.length === 0) throw new CheckpointMoved(`checkpoint of ${this.o.projection.name} moved past ${from} meanwhile`);
  }

  private advanced(last: number): void {
    projectionProgress.advance(this.o.projection.name, this.stream, last);
  }

  /**
   * Waits until the projection has applied the stream up to `sequence` (true), or `until`
   * passes (false). Whoever leads: this process's commits wake it at once, another leader's are
   * seen in the checkpoint table. Only the read barrier calls it, only when a copy missed.
   */
  async waitFor(sequence: number, until: number): Promise<boolean> {
    this.waiters += 1;
    this.hurry?.();
    try {
      for (;;) {
        const { rows } = await sql<{ s: number }>`
          SELECT stream_sequence AS s FROM projection_checkpoints WHERE projection = ${this.o.projection.name} AND stream = ${this.stream}`.execute(this.o.db);
        if (Number(rows[0]?.s ?? 0) >= sequence) return true;
        if (Date.now() >= until) return false;
        if (await projectionProgress.waitFor(this.o.projection.name, this.stream, sequence, Math.min(20, until - Date.now()))) return true;
      }
    } finally {
      this.waiters -= 1;
    }
  }

  /**
   * The longer wait under load, cut short when a read barrier starts waiting for this copy
   * (waitFor): a command that waits for the copy is not made to wait for a bigger batch too.
   */
  private lingerFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.hurry = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.hurry = done;
    });
  }

  get source(): ServiceName {
    return this.o.source;
  }

  /** Runs `fn` after whatever batch or retry is under way. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** A sleep that `stop()` cuts short. */
  private pause(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleeper = done;
    });
  }
}

function backoffDelay(failures: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (failures - 1), BACKOFF_CAP_MS);
}

/** The traceparent of a message's envelope, if it has one (only for a span's parent: parsed once per batch). */
function peekTraceparent(data: Uint8Array): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(data).toString('utf8')) as { traceparent?: unknown };
    return typeof v?.traceparent === 'string' ? v.traceparent : undefined;
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
