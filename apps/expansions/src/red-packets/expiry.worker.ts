import { Clock, CLOCK, CONFIG, DB, ServiceRuntime, Ticker } from '@im/service-kit';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { execute } from './red-packet.store';
import { RANDOM } from './red-packets.service';
import type { DB as ExpansionsDB } from '../db.generated';

export const EXPIRY_SCAN_MS = Symbol('EXPIRY_SCAN_MS');

/**
 * Expires due packets from the database, not from timers held in memory: any replica may scan,
 * `FOR UPDATE SKIP LOCKED` hands each due packet to one of them, and the decider re-checks
 * its state under the lock, so a refund happens exactly once however many replicas run.
 */
@Injectable()
export class RedPacketExpiryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ticker: Ticker;

  constructor(
    @Inject(DB) private readonly db: Kysely<ExpansionsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: { options: { background?: boolean } },
    @Inject(EXPIRY_SCAN_MS) intervalMs: number,
    private readonly runtime: ServiceRuntime,
    @Inject(RANDOM) private readonly random: () => number,
  ) {
    this.ticker = new Ticker('red-packet-expiry', intervalMs, () => this.scan());
  }

  onApplicationBootstrap(): void {
    if (this.config.options.background !== false) this.ticker.start(this.runtime.ready);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ticker.stop();
  }

  /** Expires every packet due now; returns how many were expired. */
  async scan(): Promise<number> {
    const now = this.clock.now().getTime();
    // Most scans find nothing due: one read answers that, without a transaction (BEGIN, COMMIT).
    const due = await sql`SELECT 1 FROM red_packets WHERE status IN ('unclaimed', 'partial') AND expires_at <= ${now} LIMIT 1`.execute(this.db);
    if (due.rows.length === 0) return 0;
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ red_packet_id: string }>`
        SELECT red_packet_id FROM red_packets
         WHERE status IN ('unclaimed', 'partial') AND expires_at <= ${now}
         ORDER BY expires_at LIMIT 100
         FOR UPDATE SKIP LOCKED`.execute(trx);
      let expired = 0;
      for (const r of rows) {
        const { events } = await execute(trx, r.red_packet_id, { type: 'expire', force: false }, { now, random: this.random });
        expired += events.length > 0 ? 1 : 0;
      }
      return expired;
    });
  }
}
