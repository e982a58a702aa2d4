import { ServiceName, Subjects } from '@im/contracts';
import { connectionConfig, PreparingClient } from '@im/db';
import { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { BaseApiClientImpl } from '@nats-io/jetstream/internal';
import type { Client } from 'pg';
import { StoredEventRow, toEnvelope } from './envelope';
import { sleep } from './consumer';
import { Logger } from './logger';
import { lastMessageIds } from './relay-reconcile';
import { isTooLargeError, PUBLISH_HEADER_ROOM, tooLargeEnvelope } from './too-large';

export { isTooLargeEnvelope, type TooLargeEnvelope } from './too-large';

export interface RelayOptions {
  databaseUrl: string;
  schema: string;
  service: ServiceName;
  js: JetStreamClient;
  /**
   * Reads the stream's tail when the relay takes leadership, to move the checkpoint past what
   * was published but not marked. Without it a re-publish is only absorbed within the stream's
   * duplicate window.
   */
  jsm?: JetStreamManager;
  subjects: Subjects;
  notifyChannel: string;
  batchSize?: number;
  /** Fallback wake-up and leadership retry; notifications make the normal path prompt. */
  pollMs?: number;
  /** A query on the relay's connection unanswered this long means the connection is dead. */
  queryTimeoutMs?: number;
  logger?: Logger;
}

/** The last event published, in relay order: (its transaction's commit number, its position). */
interface Checkpoint {
  commit_seq: number;
  global_position: number;
}

/** The relay's statements are index range scans of milliseconds; far slower means trouble. */
const RELAY_STATEMENT_TIMEOUT_MS = 10_000;
/** How far back into the stream's tail reconciliation looks past messages that are not ours. */
const RECONCILE_LOOK_BACK = 100;
/**
 * How long the relay waits, when commits were notified while it published, before reading
 * them: long enough for the next few group commits to land in one read, far below the lag target.
 */
const RELAY_LINGER_MS = 3;
/** A drain this soon after the last batch went out is under load. */
const BUSY_WITHIN_MS = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The transactional outbox relay: publishes committed events to JetStream in commit order, with
 * the NATS message id = event id so a re-publish after a crash is dropped by the stream.
 *
 * One replica leads (a session advisory lock on its own connection); others wait and take over
 * when its connection dies. It reads in commit order (commit-order.ts): every transaction that
 * is visible has its number, one still running has none yet and will come after, so nothing is
 * skipped and nobody, however long their transaction, holds the relay back.
 */
export class OutboxRelay {
  private client?: Client;
  private leader = false;
  private running = false;
  private draining: Promise<void> | null = null;
  private again = false;
  private timer?: NodeJS.Timeout;
  /**
   * The leader is the checkpoint's only writer, so it keeps it in memory between drains. Unset
   * until the leader has read and reconciled it.
   */
  private checkpoint?: Checkpoint;
  /** The in-memory checkpoint is ahead of the table's (it is saved by the next read). */
  private unsaved = false;
  /** When the last batch was published: a drain soon after it is under load, and lingers. */
  private lastPublishedAt = 0;
  /** Since start, in this process (metrics). */
  readonly stats = { published: 0 };
  /** For `lagSeconds`: a commit is waiting to be published since `since` (ms). */
  private readonly lag = { behind: false, since: 0 };

  constructor(private readonly opts: RelayOptions) {}

  /** Started and not stopped, with its database connection up (readiness). */
  get isRunning(): boolean {
    return this.running && this.client !== undefined;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /**
   * Seconds the oldest commit not yet published has waited (from its notification; while a
   * backlog drains, from the time of the last event published), 0 when nothing waits or on a
   * replica that does not lead. Read at scrape time.
   */
  lagSeconds(now = Date.now()): number {
    return this.leader && this.lag.behind ? Math.max(0, (now - this.lag.since) / 1000) : 0;
  }

  private commitNotified(): void {
    if (!this.lag.behind) {
      this.lag.behind = true;
      this.lag.since = Date.now();
    }
    this.wake();
  }

  async start(): Promise<void> {
    this.running = true;
    await this.connect();
    this.schedule(0);
  }

  /**
   * The relay's own connection: it listens, and holds the leader's advisory lock. When it
   * breaks (a database restart), leadership is gone with it; the next tick connects again and
   * competes anew, and the checkpoint in the table says where to resume.
   *
   * A connection can also die without breaking: the server's host vanishes, the network drops
   * packets. Then a query never returns, so each has a deadline (query_timeout) after which the
   * connection is dropped; and the server, by its keepalive (connectionConfig), ends a session
   * whose client vanished, so a relay gone that way holds no leadership for more than seconds.
   */
  private async connect(): Promise<void> {
    const client: Client = new PreparingClient({
      ...connectionConfig(this.opts.databaseUrl, this.opts.schema, { statementTimeoutMs: RELAY_STATEMENT_TIMEOUT_MS }),
      fallback_application_name: `im-relay:${this.opts.schema}`,
      query_timeout: this.opts.queryTimeoutMs ?? RELAY_STATEMENT_TIMEOUT_MS + 5_000,
    });
    // Only the current connection's loss costs leadership: a discarded one may report its end
    // long after a new connection has taken the lead.
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.leader = false;
    };
    client.on('error', (e) => {
      this.opts.logger?.warn(`relay connection error: ${e.message}`);
      lost();
    });
    client.on('end', lost);
    client.on('notification', () => this.commitNotified());
    await client.connect();
    await client.query(`LISTEN ${this.opts.notifyChannel}`);
    this.client = client;
  }

  /** Gives up a connection that stopped answering; leadership goes with it. */
  private discardConnection(reason: string): void {
    const client = this.client;
    this.client = undefined;
    this.leader = false;
    this.opts.logger?.warn(`relay: dropping its database connection (${reason})`);
    // With a query hanging, end() destroys the socket rather than waiting for a goodbye.
    void client?.end().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.draining?.catch(() => undefined);
    await this.client?.end().catch(() => undefined);
  }

  /** Wakes the relay; safe to call at any rate: at most one drain runs, followed by one more. */
  wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.tick()
      .catch((e) => {
        // NATS or Postgres unavailable: nothing was marked, so the next attempt re-publishes.
        this.opts.logger?.warn(`relay: ${(e as Error).message}`);
        if ((e as Error).message === 'Query read timeout') this.discardConnection('a query went unanswered');
        this.schedule(this.opts.pollMs ?? 500);
      })
      .finally(() => {
        this.draining = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    if (this.running) this.timer = setTimeout(() => this.wake(), ms);
  }

  private async tick(): Promise<void> {
    if (!this.client) await this.connect();
    if (!(await this.ensureLeader())) {
      this.lag.behind = false; // the leader publishes (and reports) what waits
      return this.schedule(this.opts.pollMs ?? 500);
    }
    await this.drain();
    // Notifications wake the relay at each commit; the poll is the fallback.
    this.schedule(this.opts.pollMs ?? 500);
  }

  private async ensureLeader(): Promise<boolean> {
    if (!this.leader) {
      const key = `im-relay:${this.opts.schema}`;
      const res = await this.client!.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
      if (res.rows[0].ok !== true) return false;
      this.leader = true;
      this.checkpoint = undefined;
      this.unsaved = false;
    }
    // Set only once read and reconciled, so a failure here is retried on the next tick.
    this.checkpoint ??= await this.reconcile(await this.storedCheckpoint());
    return true;
  }

  private async storedCheckpoint(): Promise<Checkpoint> {
    const { rows } = await this.client!.query('SELECT commit_seq, global_position FROM relay_checkpoint WHERE id = 1');
    return { commit_seq: Number(rows[0].commit_seq), global_position: Number(rows[0].global_position) };
  }

  /**
   * Moves the checkpoint past what the stream already holds. A relay that died between a
   * publish and its checkpoint save publishes those events again when it (or another replica)
   * leads next; within the stream's duplicate window (2 minutes) they are dropped, after it they
   * would be stored a second time under new sequences. The last of our messages in the stream
   * names the last event published, and everything before it in relay order was published too
   * (batches go out in order and the next waits for every ack), so the checkpoint can move there.
   */
  private async reconcile(stored: Checkpoint): Promise<Checkpoint> {
    const { jsm, subjects, service } = this.opts;
    if (!jsm) return stored;
    for await (const id of lastMessageIds(jsm, subjects.stream(service), RECONCILE_LOOK_BACK)) {
      if (!UUID.test(id)) continue;
      const { rows } = await this.client!.query(
        `SELECT c.commit_seq, e.global_position, (c.commit_seq, e.global_position) > ($2, $3) AS ahead
           FROM events e JOIN event_commits c ON c.transaction_id = e.transaction_id WHERE e.event_id = $1`,
        [id, stored.commit_seq, stored.global_position],
      );
      if (rows.length === 0) continue;
      if (!rows[0].ahead) return stored;
      this.opts.logger?.log(`relay: the stream already holds events up to position ${rows[0].global_position}; resuming after it`);
      return this.saveCheckpoint(rows[0]);
    }
    return stored;
  }

  /**
   * Publishes every committed event past the checkpoint, in commit order. Under load (the last
   * batch went out moments ago) the relay first waits a moment (RELAY_LINGER_MS) so that one
   * read takes the next few group commits at once, and the checkpoint of a batch is saved by
   * the next read when more commits were notified meanwhile (one statement instead of two per
   * batch). When nothing more was notified it is saved at once: the read barrier (barrier.ts)
   * waits for the saved checkpoint.
   */
  private async drain(): Promise<void> {
    const limit = this.opts.batchSize ?? 500;
    if (Date.now() - this.lastPublishedAt < BUSY_WITHIN_MS) await sleep(RELAY_LINGER_MS);
    for (;;) {
      this.again = false;
      const rows = await this.readAfterCheckpoint(limit);
      if (rows.length === 0) return this.caughtUp();
      await this.publish(rows);
      this.lastPublishedAt = Date.now();
      const last = rows[rows.length - 1];
      this.stats.published += rows.length;
      this.lag.since = Math.max(this.lag.since, new Date(last.occurred_at).getTime());
      if (rows.length === limit) {
        this.advanceUnsaved(last);
        continue;
      }
      if (!this.again) {
        await this.saveCheckpoint(last);
        return this.caughtUp();
      }
      // Commits were notified while this batch went out: its checkpoint goes with their read.
      this.advanceUnsaved(last);
      await sleep(RELAY_LINGER_MS);
    }
  }

  private advanceUnsaved(last: Checkpoint): void {
    this.checkpoint = { commit_seq: Number(last.commit_seq), global_position: Number(last.global_position) };
    this.unsaved = true;
  }

  /**
   * The events after the checkpoint, from its transaction on (an index range on event_commits,
   * each transaction's events by the events index; the checkpoint as parameters, not a join),
   * saving the checkpoint in the same statement when it is ahead of the table.
   */
  private async readAfterCheckpoint(limit: number): Promise<Array<StoredEventRow & { commit_seq: number }>> {
    const cp = this.checkpoint!;
    const save = this.unsaved;
    const { rows } = await this.client!.query<StoredEventRow & { commit_seq: number }>(
      `/* prepared:relay_read */ WITH saved AS (UPDATE relay_checkpoint SET commit_seq = $1, global_position = $2 WHERE id = 1 AND $4::boolean)
       SELECT c.commit_seq, e.global_position, e.event_id, e.stream_id, e.type, e.data_version, e.data, e.metadata, e.occurred_at
           FROM event_commits c JOIN events e ON e.transaction_id = c.transaction_id
          WHERE c.commit_seq >= $1 AND (c.commit_seq, e.global_position) > ($1, $2)
          ORDER BY c.commit_seq, e.global_position
          LIMIT $3`,
      [cp.commit_seq, cp.global_position, limit, save],
    );
    if (save && this.checkpoint === cp) this.unsaved = false;
    return rows;
  }

  private caughtUp(): void {
    this.lag.behind = false;
  }

  private async saveCheckpoint(last: Checkpoint): Promise<Checkpoint> {
    await this.client!.query('/* prepared:relay_checkpoint */ UPDATE relay_checkpoint SET commit_seq = $1, global_position = $2 WHERE id = 1', [last.commit_seq, last.global_position]);
    this.checkpoint = { commit_seq: Number(last.commit_seq), global_position: Number(last.global_position) };
    this.unsaved = false;
    return this.checkpoint;
  }

  /**
   * Publishes a batch pipelined on one connection, so the stream stores it in order, and waits
   * for every ack before the checkpoint moves. A failure leaves the checkpoint: the retry's
   * duplicates are dropped by the stream's duplicate window.
   *
   * An event too big to publish would fail every retry and stall everything after it, so its
   * place is taken by a tombstone (too-large.ts). It is caught before sending, against the
   * connection's max_payload, so the tombstone keeps its place in the order; a refusal by the
   * server (a stream's max_msg_size) is caught after, and its tombstone may land a few messages
   * late.
   */
  private async publish(rows: StoredEventRow[]): Promise<void> {
    const { js, subjects, service } = this.opts;
    const room = (this.maxPayload() ?? Infinity) - PUBLISH_HEADER_ROOM;
    await Promise.all(
      rows.map((row) => {
        const subject = subjects.event(service, row.type);
        const envelope = toEnvelope(service, row);
        const body = JSON.stringify(envelope);
        const bytes = Buffer.byteLength(body);
        const opts = { msgID: row.event_id };
        const tombstone = (why: string) => {
          this.opts.logger?.error(
            `relay: event ${row.event_id} (${row.type}, position ${row.global_position}, ${bytes} bytes) cannot be published: ${why}. ` +
              'A tooLarge tombstone takes its place in the stream; the event stays in the events table.',
          );
          return js.publish(subject, JSON.stringify(tooLargeEnvelope(envelope, bytes)), opts);
        };
        if (bytes > room) return tombstone(`over the connection's max_payload`);
        return js.publish(subject, body, opts).catch((e) => (isTooLargeError(e) ? tombstone((e as Error).message) : Promise.reject(e)));
      }),
    );
  }

  /** The NATS server's limit on one message, as the connection learnt it (it may change on reconnect). */
  private maxPayload(): number | undefined {
    const { js } = this.opts;
    return js instanceof BaseApiClientImpl ? js.nc.info?.max_payload : undefined;
  }
}
