import { MAX_CONTENT_BYTES, Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { AddressPolicy, OutboundClient } from '@im/outbound';
import { DB, NATS, ServiceRuntime, SUBJECTS } from '@im/service-kit';
import { DeliverPolicy } from '@nats-io/jetstream';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { MESSAGING_SETTINGS, MessagingSettings } from '../messaging.settings';
import type { DB as MessagingDB } from '../db.generated';

/** The before-send callback as a send uses it, with an outbound client whose deadline is its timeout. */
export interface BeforeSendConfig {
  url: string;
  secret: string;
  timeoutMs: number;
  objectNames: Set<string> | null;
  onTimeout: 'allow' | 'reject';
  configuredAt: number;
  client: OutboundClient;
}

/**
 * The before-send callback in memory, so a send asks nothing of the database (and, with none
 * configured, nothing at all). Loaded at start and reloaded on each of its events: every
 * replica follows `callback.before-send.*` on this service's own stream (an ordered consumer,
 * from the last event of each type, so a change between the load and the subscription is not
 * missed); the replica that made the change reloads at once, so the writer's next send sees it.
 */
@Injectable()
export class BeforeSendCache implements OnApplicationShutdown {
  private readonly logger = new Logger('before-send');
  private config: BeforeSendConfig | null = null;
  private stopFollowing?: () => void;
  private stopped = false;
  private readonly policy: AddressPolicy;

  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(NATS) private readonly nats: Nats,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(MESSAGING_SETTINGS) settings: MessagingSettings,
  ) {
    this.policy = new AddressPolicy(settings.beforeSendAllowedNetworks, 'BEFORE_SEND_ALLOWED_NETWORKS');
  }

  get current(): BeforeSendConfig | null {
    return this.config;
  }

  /** An outbound client for this policy (the registration check uses one too). */
  client(deadlineMs: number): OutboundClient {
    // Every concurrent send may ask at once: the per-origin slots are many; the deadline bounds the wait for one.
    return new OutboundClient({ policy: this.policy, deadlineMs, maxResponseBytes: 2 * MAX_CONTENT_BYTES + 1024, perHostConcurrency: 256, concurrency: 1024 });
  }

  /** Resolves once the first load is done: a send arriving before waits for it (then it costs a resolved await). */
  private markLoaded: () => void = () => undefined;
  readonly loaded = new Promise<void>((resolve) => (this.markLoaded = resolve));

  /** After migrations (BeforeSendFollower calls it once the runtime is ready). */
  async start(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.reload();
        break;
      } catch (e) {
        this.logger.warn(`loading the before-send callback failed, again in 1 s: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
    this.markLoaded();
    void this.followUntilStopped();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.stopFollowing?.();
    this.config?.client.close();
  }

  /** Reads the row; the previous client is closed once its requests are past their deadline. */
  async reload(): Promise<void> {
    const row = await this.db.selectFrom('before_send_callback').selectAll().executeTakeFirst();
    const previous = this.config;
    if (previous && row && row.configured_at === previous.configuredAt) return;
    this.config = row
      ? {
          url: row.url,
          secret: row.secret,
          timeoutMs: row.timeout_ms,
          objectNames: row.object_names ? new Set(row.object_names) : null,
          onTimeout: row.on_timeout,
          configuredAt: row.configured_at,
          client: this.client(row.timeout_ms),
        }
      : null;
    if (previous) setTimeout(() => previous.client.close(), previous.timeoutMs * 2).unref();
  }

  /** The stream may not exist yet on a first start (the runtime creates it): try again shortly. */
  private async followUntilStopped(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.follow();
      } catch (e) {
        if (!this.stopped) this.logger.warn(`following before-send changes failed, again in 1 s: ${(e as Error).message}`);
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, 1000).unref());
    }
  }

  private async follow(): Promise<void> {
    const consumer = await this.nats.js.consumers.get(this.subjects.stream('messaging'), {
      filter_subjects: this.subjects.event('messaging', 'callback.before-send.*'),
      deliver_policy: DeliverPolicy.LastPerSubject,
    });
    const messages = await consumer.consume();
    if (this.stopped) return void (await messages.close());
    this.stopFollowing = () => void messages.close().catch(() => undefined);
    for await (const _m of messages) {
      await this.reload().catch((e) => this.logger.warn(`reloading the before-send callback failed: ${(e as Error).message}`));
    }
  }
}

/**
 * Starts the cache once the service is ready (its tables migrated). A provider of its own: the
 * runtime waits for the RPC handlers, which reach the cache through the send path.
 */
@Injectable()
export class BeforeSendFollower implements OnApplicationBootstrap {
  private readonly logger = new Logger('before-send');

  constructor(
    private readonly cache: BeforeSendCache,
    private readonly runtime: ServiceRuntime,
  ) {}

  onApplicationBootstrap(): void {
    void this.runtime.ready.then(() => this.cache.start()).catch((e) => this.logger.error(`loading the before-send callback failed: ${(e as Error).message}`));
  }
}
