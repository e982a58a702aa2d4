import { Subjects } from '@im/contracts';
import { Clock, systemClock } from '@im/service-kit';
import { connectNats, Nats, RpcClient } from '@im/eventstore';
import { AppMetrics, shutdownTracing } from '@im/observability';
import { PresenceReporter } from '@im/realtime';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GatewayConfig } from './gateway.config';
import { ErrorFilter } from './http/error.filter';
import { IdempotencyStore } from './http/idempotency.store';
import { RateLimiter } from './http/rate-limit';
import { ChatroomsController } from './routes/chatrooms.controller';
import { CallbacksController } from './routes/callbacks.controller';
import { ConversationsController } from './routes/conversations.controller';
import { DocsController } from './routes/docs.controller';
import { ExpansionsController } from './routes/expansions.controller';
import { GroupsController } from './routes/groups.controller';
import { UltraGroupsController } from './routes/ultra-groups.controller';
import { HealthController } from './routes/health.controller';
import { MetricsController } from './routes/metrics.controller';
import { MessagesController } from './routes/messages.controller';
import { MessageTypesController } from './routes/message-types.controller';
import { RedPacketsController } from './routes/red-packets.controller';
import { ReceiptsController } from './routes/receipts.controller';
import { UsersController } from './routes/users.controller';
import { AdminPushesController } from './routes/admin-pushes.controller';
import { DevicesController } from './routes/devices.controller';
import { NotificationsController } from './routes/notifications.controller';
import { StreamController } from './stream/stream.controller';
import { StreamRegistry } from './stream/stream-registry';
import { StreamTickets } from './stream/stream-tickets';
import { GATEWAY_CLOCK, GATEWAY_CONFIG, GATEWAY_METRICS, GATEWAY_NATS, IDEMPOTENCY_STORE, PRESENCE, RATE_LIMITER, RPC_CLIENT, STREAM_REGISTRY, STREAM_TICKETS, SUBJECTS_TOKEN } from './tokens';

/** The REST gateway owns no tables: it authenticates, validates, and forwards over NATS. */
@Module({})
export class GatewayModule implements OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_NATS) private readonly nats: Nats,
    @Inject(PRESENCE) private readonly presence: PresenceReporter,
  ) {}

  /** `clock` moves the gateway's time in tests (idempotency expiry, rate limit refill). */
  static register(config: GatewayConfig, metrics = new AppMetrics('gateway'), clock: Clock = systemClock): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [HealthController, MetricsController, DocsController, UsersController, GroupsController, ChatroomsController, UltraGroupsController, MessagesController, MessageTypesController, ConversationsController, ExpansionsController, RedPacketsController, ReceiptsController, StreamController, DevicesController, NotificationsController, AdminPushesController, CallbacksController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_NATS, useFactory: () => connectNats(config.natsUrl, 'im-gateway', config.natsAuth) },
        { provide: SUBJECTS_TOKEN, useValue: new Subjects(config.subjectPrefix) },
        { provide: GATEWAY_METRICS, useValue: metrics },
        { provide: RPC_CLIENT, useFactory: (n: Nats, s: Subjects) => new RpcClient(n.nc, s, undefined, 'gateway', metrics.rpcObserver('client')), inject: [GATEWAY_NATS, SUBJECTS_TOKEN] },
        { provide: GATEWAY_ID, useValue: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}` },
        { provide: PRESENCE, useFactory: (n: Nats, s: Subjects, id: string) => startPresence(n, s, id, config, metrics), inject: [GATEWAY_NATS, SUBJECTS_TOKEN, GATEWAY_ID] },
        { provide: STREAM_REGISTRY, useFactory: (n: Nats, s: Subjects, id: string) => new StreamRegistry(n, s, id, config.streamMaxPerUser), inject: [GATEWAY_NATS, SUBJECTS_TOKEN, GATEWAY_ID] },
        { provide: STREAM_TICKETS, useFactory: (n: Nats, s: Subjects) => new StreamTickets(n, s, config.streamTicketTtlSeconds), inject: [GATEWAY_NATS, SUBJECTS_TOKEN] },
        { provide: GATEWAY_CLOCK, useValue: clock },
        { provide: RATE_LIMITER, useValue: new RateLimiter() },
        {
          provide: IDEMPOTENCY_STORE,
          useFactory: async (n: Nats, s: Subjects) => {
            const store = new IdempotencyStore(n, s, config.idempotencyTtlSeconds * 1000);
            await store.ensure();
            return store;
          },
          inject: [GATEWAY_NATS, SUBJECTS_TOKEN],
        },
        // Auth, rate limit and Idempotency-Key are Fastify hooks (http/edge.ts), not guards and interceptors.
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.presence.stop();
    await this.nats.nc.drain().catch(() => undefined);
    await shutdownTracing();
  }
}

const GATEWAY_ID = Symbol('GATEWAY_ID');

/** Each gateway replica announces the users with live streams on it, under an id of its own. */
function startPresence(nats: Nats, subjects: Subjects, gatewayId: string, config: GatewayConfig, metrics: AppMetrics): PresenceReporter {
  const reporter = new PresenceReporter(nats.nc, subjects, gatewayId, { chunkBytes: config.presenceChunkBytes });
  reporter.start();
  metrics.gauge('im_open_streams', 'Event streams (SSE) open on this gateway', [], (g) => g.set(reporter.openStreams));
  return reporter;
}
