import { Kysely } from 'kysely';
import type { DB } from '../db.generated';

export interface PlannedConfig {
  events: ReadonlySet<string>;
  configuredAt: number;
}

/**
 * The post-send callback's configuration as the planner needs it (which event types, since
 * when), in memory: planning a batch reads no table, whether a callback is set or not.
 *
 * It changes only through PostSendService, which updates it after its commit (this replica),
 * and each change is an event of push's stream (`callback.post-send.configured/removed`) that
 * the planner applies as it meets it (another replica's). `refresh()` every
 * `DIRECTORY_REFRESH_MS` (push.module.ts) rereads the row, for a replica that became the
 * consumer's leader after a change it was not delivered. Each change carries its time; an older
 * one than what is known is ignored, so the three may arrive in any order.
 */
export class PostSendConfig {
  private config: PlannedConfig | null = null;
  /** The time of the change `config` reflects (0: none known). */
  private changedAt = 0;
  /** Bumped by every change, so a refresh that raced with one does not undo it. */
  private version = 0;
  private loading?: Promise<void>;

  constructor(private readonly db: Kysely<DB>) {}

  /** Reads the row once (the planner awaits it: the schema exists once the consumers run). */
  ready(): Promise<void> {
    this.loading ??= this.refresh().catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  get current(): PlannedConfig | null {
    return this.config;
  }

  configured(events: readonly string[], configuredAt: number): void {
    if (configuredAt < this.changedAt) return;
    this.set({ events: new Set(events), configuredAt }, configuredAt);
  }

  removed(removedAt: number): void {
    if (removedAt < this.changedAt) return;
    this.set(null, removedAt);
  }

  async refresh(): Promise<void> {
    const before = this.version;
    const row = await this.db.selectFrom('post_send_callback').select(['events', 'configured_at']).executeTakeFirst();
    if (this.version !== before) return;
    // The table is the truth, whatever the times (a replica's clock may be behind another's).
    if (row) this.set({ events: new Set(row.events), configuredAt: row.configured_at }, row.configured_at);
    else if (this.config) this.set(null, this.changedAt);
  }

  private set(config: PlannedConfig | null, at: number): void {
    this.config = config;
    this.changedAt = at;
    this.version++;
  }
}
