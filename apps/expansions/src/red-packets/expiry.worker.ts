import { Clock, CLOCK, CONFIG, DB, ServiceRuntime } from '@im/service-kit';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { expirePacket } from './red-packet-expiry';

export const EXPIRY_SCAN_MS = Symbol('EXPIRY_SCAN_MS');

/**
 * Expires due packets from the database, not from timers held in memory: any replica may scan,
 * `FOR UPDATE SKIP LOCKED` hands each due packet to one of them, and `expirePacket` re-checks
 * its state under the lock, so a refund happens exactly once however many replicas run.
 */
@Injectable()
export class RedPacketExpiryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('red-packet-expiry');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: { options: { background?: boolean } },
    @Inject(EXPIRY_SCAN_MS) private readonly intervalMs: number,
    private readonly runtime: ServiceRuntime,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.options.background === false) return;
    void this.runtime.ready.then(() => this.start());
  }

  private start(): void {
    if (this.stopped) return;
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.scan().catch((e) => this.logger.warn(`scan failed: ${(e as Error).message}`)).finally(() => (this.running = undefined));
    }, this.intervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Expires every packet due now; returns how many were expired. */
  async scan(): Promise<number> {
    const now = this.clock.now().getTime();
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ red_packet_id: string }>`
        SELECT red_packet_id FROM red_packets
         WHERE status IN ('unclaimed', 'partial') AND expires_at <= ${now}
         ORDER BY expires_at LIMIT 100
         FOR UPDATE SKIP LOCKED`.execute(trx);
      let expired = 0;
      for (const r of rows) if ((await expirePacket(trx, r.red_packet_id, now)) > 0) expired += 1;
      return expired;
    });
  }
}
