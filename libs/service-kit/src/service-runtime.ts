import { Subjects } from '@im/contracts';
import {
  ConsumerHealth,
  consumersHealth,
  BARRIER_WAIT_MS,
  ensureEventStream,
  publishedPosition,
  ReadBarrier,
  RpcClient,
  Nats,
  OutboxRelay,
  ProjectionConsumer,
  RpcHandlers,
  RpcServer,
} from '@im/eventstore';
import { AppMetrics, appLogger, shutdownTracing } from '@im/observability';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Projection } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { ServiceConfig, ServiceDefinition, ServiceOptions } from './service-definition';
import { migrateService, notifyChannel } from './migrate-service';
import { ConfigOf, serviceOpsSpec } from './config';
import { check, OpsServer, Readiness, startOpsServer } from './ops-server';
import { registerEventStoreMetrics } from './service-metrics';
import { CONFIG, DB, EXTRA_PROJECTIONS, METRICS, NATS, RPC_HANDLERS, SERVICE_DEFINITION, SUBJECTS } from './tokens';

export { notifyChannel } from './migrate-service';

/** The health answer must beat the gateway's 1 s deadline; consumer figures are left out past this. */
const HEALTH_DETAIL_TIMEOUT_MS = 600;
/** Readiness checks (Postgres, NATS) answer within this, also inside the health RPC's deadline. */
const READY_CHECK_TIMEOUT_MS = 500;

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
  private ops?: OpsServer;
  private started = false;
  private markReady!: () => void;
  /** Resolves once migrations ran and the plumbing is up: background work waits for it. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    @Inject(SERVICE_DEFINITION) private readonly def: ServiceDefinition,
    @Inject(CONFIG) private readonly config: ServiceConfig & ConfigOf<typeof serviceOpsSpec> & { options: ServiceOptions },
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(NATS) private readonly nats: Nats,
    @Inject(SUBJECTS) private readonly subjects: Subjects,
    @Inject(RPC_HANDLERS) private readonly handlers: RpcHandlers<any>,
    @Inject(METRICS) private readonly metrics: AppMetrics,
    @Optional() @Inject(EXTRA_PROJECTIONS) private readonly extra: Projection[] = [],
  ) {
    this.logger = new Logger(def.service);
    registerEventStoreMetrics(metrics, def.service, () => this.relay, () => this.consumers);
  }

  /** The metrics and health listener's address, when it runs. */
  get opsUrl(): string | undefined {
    return this.ops?.url;
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
    // First, so /health/live answers (and /health/ready says why not) while migrations run.
    const { metricsPort } = this.config.options;
    const port = metricsPort !== undefined ? metricsPort : this.config.metricsPort || null;
    if (port !== null) this.ops = await startOpsServer(port, this.metrics, () => this.readiness());
    await migrateService(this.db, this.def);
    const sources = new Set([service, ...this.projections.flatMap((p) => p.sources)]);
    for (const s of sources) await ensureEventStream(this.nats.jsm, this.subjects, s);
    if (this.config.options.background !== false) await this.startBackground();
    const barrier = new ReadBarrier(RpcClient.internal(this.nats.nc, this.subjects), () => this.consumers);
    const rpcLog = appLogger(service);
    const observe = this.metrics.rpcObserver('server');
    this.rpc = new RpcServer(this.nats.nc, this.subjects, service, this.logger, barrier, (method, outcome, seconds) => {
      observe(method, outcome, seconds);
      // Inside the request's trace: the line carries its trace_id.
      if (rpcLog.isLevelEnabled('debug')) rpcLog.debug({ rpc: method, outcome, duration_ms: Math.round(seconds * 1e4) / 10 }, 'rpc handled');
    });
    this.rpc.listen(this.handlers, {
      health: async () => {
        const [readiness, consumers] = await Promise.all([this.readiness(), this.consumersHealth()]);
        return { service, status: 'ok', ready: readiness.ready, checks: readiness.checks, consumers };
      },
      // Asked by other services' read barriers: what we had committed, once published.
      position: () => publishedPosition(this.db, this.nats.jsm, this.subjects.stream(service), Date.now() + BARRIER_WAIT_MS),
    });
    this.started = true;
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
   * Ready when started, Postgres answers, NATS is connected (a flush round trip), the relay runs
   * with its connection, and no consumer is further behind than READY_MAX_LAG_SECONDS.
   */
  async readiness(): Promise<Readiness> {
    const checks: Record<string, string> = {};
    checks.started = this.started ? 'ok' : 'starting (migrations, streams)';
    const [postgres, nats] = await Promise.all([
      check(() => sql`SELECT 1`.execute(this.db), READY_CHECK_TIMEOUT_MS),
      this.nats.nc.isClosed() ? Promise.resolve('closed') : check(() => this.nats.nc.flush(), READY_CHECK_TIMEOUT_MS),
    ]);
    checks.postgres = postgres;
    checks.nats = nats;
    if (this.config.options.background !== false) {
      checks.relay = this.relay?.isRunning ? 'ok' : 'not running';
      const max = this.config.readyMaxLagSeconds;
      const now = Date.now();
      for (const c of this.consumers) {
        const lag = c.lagSeconds(now);
        checks[`consumer:${c.projectionName}:${c.source}`] = lag <= max ? 'ok' : `${Math.round(lag)} s behind (over ${max} s)`;
      }
    }
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
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
    this.started = false;
    await this.rpc?.close();
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.relay?.stop();
    await this.nats.nc.drain().catch(() => undefined);
    await this.db.destroy();
    await this.ops?.close();
    await shutdownTracing();
  }
}
