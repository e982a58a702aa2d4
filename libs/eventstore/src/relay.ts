import { ServiceName, Subjects } from '@im/contracts';
import { JetStreamClient } from '@nats-io/jetstream';
import { Client } from 'pg';
import { StoredEventRow, toEnvelope } from './envelope';
import { Logger } from './logger';

export interface RelayOptions {
  databaseUrl: string;
  schema: string;
  service: ServiceName;
  js: JetStreamClient;
  subjects: Subjects;
  notifyChannel: string;
  batchSize?: number;
  /** Fallback wake-up and leadership retry; notifications make the normal path prompt. */
  pollMs?: number;
  logger?: Logger;
}

/**
 * The transactional outbox relay: publishes committed events to JetStream in commit order, with
 * the NATS message id = event id so a re-publish after a crash is dropped by the stream.
 *
 * One replica leads (a session advisory lock on its own connection); others wait and take over
 * when its connection dies. It reads only events whose transaction is older than every running
 * one (xid8 < snapshot xmin), so a transaction that committed late is never skipped.
 */
export class OutboxRelay {
  private client?: Client;
  private leader = false;
  private running = false;
  private draining: Promise<void> | null = null;
  private again = false;
  private timer?: NodeJS.Timeout;
  /** The leader is the checkpoint's only writer, so it keeps it in memory between drains. */
  private checkpoint?: { transaction_id: string; global_position: number };

  constructor(private readonly opts: RelayOptions) {}

  async start(): Promise<void> {
    this.running = true;
    await this.connect();
    this.schedule(0);
  }

  /**
   * The relay's own connection: it listens, and holds the leader's advisory lock. When it
   * breaks (a database restart), leadership is gone with it; the next tick connects again and
   * competes anew, and the checkpoint in the table says where to resume.
   */
  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.opts.databaseUrl, options: `-c search_path=${this.opts.schema}` });
    client.on('error', (e) => {
      this.opts.logger?.warn(`relay connection error: ${e.message}`);
      if (this.client === client) this.client = undefined;
      this.leader = false;
    });
    client.on('end', () => {
      if (this.client === client) this.client = undefined;
      this.leader = false;
    });
    client.on('notification', () => this.wake());
    await client.connect();
    await client.query(`LISTEN ${this.opts.notifyChannel}`);
    this.client = client;
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
    if (!(await this.ensureLeader())) return this.schedule(this.opts.pollMs ?? 500);
    const blocked = await this.drain();
    // Committed events held back by an older running transaction: look again very soon.
    this.schedule(blocked ? 5 : (this.opts.pollMs ?? 500));
  }

  private async ensureLeader(): Promise<boolean> {
    if (this.leader) return true;
    const key = `im-relay:${this.opts.schema}`;
    const res = await this.client!.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
    this.leader = res.rows[0].ok === true;
    if (this.leader) {
      const cp = await this.client!.query('SELECT transaction_id::text AS transaction_id, global_position FROM relay_checkpoint WHERE id = 1');
      this.checkpoint = { transaction_id: cp.rows[0].transaction_id, global_position: Number(cp.rows[0].global_position) };
    }
    return this.leader;
  }

  /** Publishes every visible event; returns whether committed events remain held back. */
  private async drain(): Promise<boolean> {
    const limit = this.opts.batchSize ?? 500;
    for (;;) {
      // The checkpoint as parameters (not a join) keeps this an index range scan.
      const { rows } = await this.client!.query<StoredEventRow & { transaction_id: string }>(
        `SELECT global_position, transaction_id::text AS transaction_id, event_id, stream_id, type,
                data_version, data, occurred_at
           FROM events
          WHERE (transaction_id, global_position) > ($1::xid8, $2)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY transaction_id, global_position
          LIMIT $3`,
        [this.checkpoint!.transaction_id, this.checkpoint!.global_position, limit],
      );
      if (rows.length === 0) return this.hasHeldBack();
      await this.publish(rows);
      await this.saveCheckpoint(rows[rows.length - 1]);
      if (rows.length < limit) return this.hasHeldBack();
    }
  }

  private async saveCheckpoint(last: { transaction_id: string; global_position: number }): Promise<void> {
    await this.client!.query('UPDATE relay_checkpoint SET transaction_id = $1::xid8, global_position = $2 WHERE id = 1', [
      last.transaction_id,
      last.global_position,
    ]);
    this.checkpoint = { transaction_id: last.transaction_id, global_position: Number(last.global_position) };
  }

  private async hasHeldBack(): Promise<boolean> {
    const { rows } = await this.client!.query('SELECT 1 FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2) LIMIT 1', [
      this.checkpoint!.transaction_id,
      this.checkpoint!.global_position,
    ]);
    return rows.length > 0;
  }

  /**
   * Publishes a batch pipelined on one connection, so the stream stores it in order, and waits
   * for every ack before the checkpoint moves. A failure leaves the checkpoint: the retry's
   * duplicates are dropped by the stream's duplicate window.
   */
  private async publish(rows: StoredEventRow[]): Promise<void> {
    const { js, subjects, service } = this.opts;
    await Promise.all(
      rows.map((row) =>
        js.publish(subjects.event(service, row.type), JSON.stringify(toEnvelope(service, row)), { msgID: row.event_id }),
      ),
    );
  }
}
