import { ServiceName, Subjects } from '@im/contracts';
import { AckPolicy, DeliverPolicy, JsMsg, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { Kysely, sql } from 'kysely';
import { Logger } from './logger';
import { Projection } from './projection';

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
  /** Test hook: called before each batch is applied; throwing simulates a failing projection. */
  beforeApply?: (batch: JsMsg[]) => void | Promise<void>;
}

const GAP_RETRY_MS = 100;
const LEADER_RETRY_MS = 1_000;

/**
 * Feeds one source stream into one projection through a durable pull consumer.
 *
 * Each batch of what has arrived is applied in one Postgres transaction together with the
 * checkpoint (the last stream sequence applied), and acked only after commit. The consumer
 * takes the whole stream unfiltered, so sequences are contiguous: a message at or below the
 * checkpoint is a redelivery (acked, skipped) and one past the next expected is early (nak'd,
 * so it comes back after the one it must follow). A failing batch is nak'd with backoff and
 * the projection ends the same as if nothing had failed.
 */
export class ProjectionConsumer {
  private running = false;
  private loop?: Promise<void>;
  private stopCurrent?: () => void;
  private failures = 0;

  constructor(private readonly o: ConsumerOptions) {}

  get stream(): string {
    return this.o.subjects.stream(this.o.source);
  }

  get durable(): string {
    return this.o.subjects.durable(this.o.owner, this.o.projection.name);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.ensureConsumer();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopCurrent?.();
    await this.loop;
  }

  async ensureConsumer(): Promise<void> {
    const config = {
      durable_name: this.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30_000_000_000,
      max_ack_pending: 1024,
    };
    await this.o.jsm.consumers.info(this.stream, this.durable).catch(() => this.o.jsm.consumers.add(this.stream, config));
  }

  /**
   * One replica at a time feeds a projection: with several pulling one durable consumer, each
   * would get every other event and wait for the rest. Leadership is a session advisory lock on
   * a pinned connection; the others retry, and take over when the leader stops or dies. (Two
   * leaders at once, after a lost connection, stay correct: the checkpoint is compare-and-set.)
   */
  private async run(): Promise<void> {
    const key = `im-projection:${this.stream}:${this.durable}`;
    while (this.running) {
      try {
        await this.o.db.connection().execute(async (conn) => {
          const { rows } = await sql<{ ok: boolean }>`SELECT pg_try_advisory_lock(hashtext(${key})) AS ok`.execute(conn);
          if (!rows[0].ok) return;
          try {
            await this.lead();
          } finally {
            await sql`SELECT pg_advisory_unlock(hashtext(${key}))`.execute(conn).catch(() => undefined);
          }
        });
      } catch (e) {
        this.o.logger?.warn(`${this.durable}: ${(e as Error).message}`);
      }
      if (this.running) await sleep(LEADER_RETRY_MS);
    }
  }

  private async lead(): Promise<void> {
    while (this.running) {
      try {
        await this.consumeOnce();
      } catch (e) {
        this.o.logger?.warn(`${this.durable}: ${(e as Error).message}; resubscribing`);
      }
      if (this.running) {
        await sleep(500);
        await this.ensureConsumer().catch(() => undefined);
      }
    }
  }

  /** One subscription: a reader fills a buffer, the applier drains it in batches. */
  private async consumeOnce(): Promise<void> {
    const consumer = await this.o.js.consumers.get(this.stream, this.durable);
    const messages = await consumer.consume({ max_messages: this.o.batchSize ?? 256 });
    const buffer: JsMsg[] = [];
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
    void (async () => {
      for await (const s of messages.status()) {
        if (s.type === 'consumer_deleted' || s.type === 'consumer_not_found' || s.type === 'stream_not_found') messages.stop();
      }
    })().catch(() => undefined);
    void (async () => {
      for await (const m of messages) {
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
        continue;
      }
      if (!this.running) {
        buffer.splice(0).forEach((m) => m.nak());
        break;
      }
      await this.process(buffer.splice(0, this.o.batchSize ?? 256));
    }
  }

  private async process(batch: JsMsg[]): Promise<void> {
    batch.sort((a, b) => a.info.streamSequence - b.info.streamSequence);
    try {
      await this.o.beforeApply?.(batch);
      const { done, early } = await this.applyBatch(batch);
      done.forEach((m) => m.ack());
      early.forEach((m) => m.nak(GAP_RETRY_MS));
      this.failures = 0;
    } catch (e) {
      this.failures += 1;
      const delay = Math.min(100 * 2 ** (this.failures - 1), 10_000);
      this.o.logger?.warn(`${this.durable}: batch failed (${(e as Error).message}); retrying in ${delay} ms`);
      batch.forEach((m) => m.nak(delay));
      await sleep(delay);
    }
  }

  private async applyBatch(batch: JsMsg[]): Promise<{ done: JsMsg[]; early: JsMsg[] }> {
    const { projection } = this.o;
    return this.o.db.transaction().execute(async (trx) => {
      const start = await this.checkpoint(trx);
      let last = start;
      const done: JsMsg[] = [];
      const early: JsMsg[] = [];
      for (const msg of batch) {
        const seq = msg.info.streamSequence;
        if (seq <= last) {
          done.push(msg);
          continue;
        }
        if (early.length > 0 || seq !== last + 1) {
          early.push(msg);
          continue;
        }
        await projection.apply(trx, msg.json(), { stream: this.stream, streamSequence: seq });
        last = seq;
        done.push(msg);
      }
      if (last !== start) await this.advanceCheckpoint(trx, start, last);
      return { done, early };
    });
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
        INSERT INTO projection_checkpoints (projection, stream, stream_sequence)
        VALUES (${this.o.projection.name}, ${this.stream}, ${Math.max(0, info.state.first_seq - 1)})
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
    if (rows.length === 0) throw new Error(`checkpoint of ${this.o.projection.name} moved past ${from} meanwhile`);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
