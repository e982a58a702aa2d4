import { Subjects } from '@im/contracts';
import { CommonConfig, migrateToLatest } from '@im/db';
import {
  ConsumerHealth,
  consumersHealth,
  BARRIER_WAIT_MS,
  ensureEventStream,
  eventStoreMigrations,
  publishedPosition,
  ReadBarrier,
  RpcClient,
  Nats,
  OutboxRelay,
  ProjectionConsumer,
  RpcHandlers,
  RpcServer,
} from '@im/eventstore';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Projection } from '@im/eventstore';
import { Kysely } from 'kysely';
import { ServiceDefinition, ServiceOptions } from './service-definition';
import { CONFIG, DB, EXTRA_PROJECTIONS, NATS, RPC_HANDLERS, SERVICE_DEFINITION, SUBJECTS } from './tokens';

export function notifyChannel(schema: string): string {
  return `${schema}_events`;
}

/** The health answer must beat the gateway's 1 s deadline; consumer figures are left out past this. */
const HEALTH_DETAIL_TIMEOUT_MS = 600;

/**
 * Brings a service up in order (migrations, streams, outbox relay, projection consumers, RPC)
 * and down in reverse, so no request is taken before the schema exists and none is lost on stop.
 */
@Injectable()
export class ServiceRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private relay?: OutboxRelay;
  private consumers: ProjectionConsumer[] = [];
  private rpc?: RpcServer<any>;
  private markReady!: () => void;
  /** Resolves once migrations ran and the plumbing is up: background work waits for it. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    @Inject(SERVICE_DEFINITION) private readonly def: ServiceDefinition,
    @Inject(CONFIG) private readonly config: CommonConfig & { options: ServiceOptions },
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(NATS) private readonly nats: Nats,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(RPC_HANDLERS) private readonly handlers: RpcHandlers<any>,
    @Optional() @Inject(EXTRA_PROJECTIONS) private readonly extra: Projection[] = [],
  ) {
    this.logger = new Logger(def.service);
  }

  get schema(): string {
    return this.def.service;
  }

  /**
   * What the consumers feed. An extra projection (built with the module's dependencies) may take
   * the place of a definition's projection of the same name: a composition of it with reactions
   * (composeProjections), fed through its checkpoint.
   */
  private get projections(): Projection[] {
    const extra = this.extra ?? [];
    return [...this.def.projections.filter((p) => !extra.some((e) => e.name === p.name)), ...extra];
  }

  async onApplicationBootstrap(): Promise<void> {
    const { service } = this.def;
    await migrateToLatest(this.db, this.schema, {
      ...eventStoreMigrations(this.schema, notifyChannel(this.schema)),
      ...this.def.migrations,
    });
    const sources = new Set([service, ...this.projections.flatMap((p) => p.sources)]);
    for (const s of sources) await ensureEventStream(this.nats.jsm, this.subjects, s);
    if (this.config.options.background !== false) await this.startBackground();
    const barrier = new ReadBarrier(RpcClient.internal(this.nats.nc, this.subjects), () => this.consumers);
    this.rpc = new RpcServer(this.nats.nc, this.subjects, service, this.logger, barrier);
    this.rpc.listen(this.handlers, {
      health: async () => ({ service, status: 'ok', consumers: await this.consumersHealth() }),
      // Asked by other services' read barriers: what we had committed, once published.
      position: () => publishedPosition(this.db, this.nats.jsm, this.subjects.stream(service), Date.now() + BARRIER_WAIT_MS),
    });
    this.markReady();
    this.logger.log(`ready (prefix ${this.subjects.prefix})`);
  }

  private async startBackground(): Promise<void> {
    const { service } = this.def;
    this.relay = new OutboxRelay({
      databaseUrl: this.config.databaseUrl,
      schema: this.schema,
      service,
      js: this.nats.js,
      jsm: this.nats.jsm,
      subjects: this.subjects,
      notifyChannel: notifyChannel(this.schema),
      logger: this.logger,
    });
    await this.relay.start();
    for (const projection of this.projections) {
      for (const source of projection.sources) {
        const consumer = new ProjectionConsumer({
          db: this.db,
          js: this.nats.js,
          jsm: this.nats.jsm,
          subjects: this.subjects,
          owner: service,
          source,
          projection,
          logger: this.logger,
          databaseUrl: this.config.databaseUrl,
        });
        await consumer.start();
        this.consumers.push(consumer);
      }
    }
  }

  /**
   * Each consumer's lag and parked count, from the database and the streams (the same on every
   * replica, leader or not). Null when they cannot be had in time: the service still answers.
   */
  private async consumersHealth(): Promise<ConsumerHealth[] | null> {
    const places = this.projections.flatMap((p) => p.sources.map((s) => ({ projection: p.name, stream: this.subjects.stream(s) })));
    const figures = consumersHealth(this.db, this.nats.jsm, places).catch((e) => {
      this.logger.warn(`health: consumer figures unavailable (${(e as Error).message})`);
      return null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), HEALTH_DETAIL_TIMEOUT_MS)));
    try {
      return await Promise.race([figures, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rpc?.close();
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.relay?.stop();
    await this.nats.nc.drain().catch(() => undefined);
    await this.db.destroy();
  }
}
