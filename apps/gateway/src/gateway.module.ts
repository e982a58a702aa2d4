import { Subjects } from '@im/contracts';
import { connectNats, Nats, RpcClient } from '@im/eventstore';
import { PresenceReporter } from '@im/realtime';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { GatewayConfig } from './gateway.config';
import { AuthGuard } from './http/auth.guard';
import { ErrorFilter } from './http/error.filter';
import { ReadYourWritesInterceptor } from './http/read-your-writes.interceptor';
import { ConversationsController } from './routes/conversations.controller';
import { DocsController } from './routes/docs.controller';
import { ExpansionsController } from './routes/expansions.controller';
import { GroupsController } from './routes/groups.controller';
import { HealthController } from './routes/health.controller';
import { MessagesController } from './routes/messages.controller';
import { MessageTypesController } from './routes/message-types.controller';
import { RedPacketsController } from './routes/red-packets.controller';
import { ReceiptsController } from './routes/receipts.controller';
import { UsersController } from './routes/users.controller';
import { AdminPushesController } from './routes/admin-pushes.controller';
import { DevicesController } from './routes/devices.controller';
import { NotificationsController } from './routes/notifications.controller';
import { StreamController } from './stream/stream.controller';
import { GATEWAY_CONFIG, GATEWAY_NATS, PRESENCE, RPC_CLIENT, SUBJECTS_TOKEN } from './tokens';

/** The REST gateway owns no tables: it authenticates, validates, and forwards over NATS. */
@Module({})
export class GatewayModule implements OnApplicationShutdown {
  constructor(
    @Inject(GATEWAY_NATS) private readonly nats: Nats,
    @Inject(PRESENCE) private readonly presence: PresenceReporter,
  ) {}

  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [HealthController, DocsController, UsersController, GroupsController, MessagesController, MessageTypesController, ConversationsController, ExpansionsController, RedPacketsController, ReceiptsController, StreamController, DevicesController, NotificationsController, AdminPushesController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_NATS, useFactory: () => connectNats(config.natsUrl, 'im-gateway', config.natsAuth) },
        { provide: SUBJECTS_TOKEN, useValue: new Subjects(config.subjectPrefix) },
        { provide: RPC_CLIENT, useFactory: (n: Nats, s: Subjects) => new RpcClient(n.nc, s), inject: [GATEWAY_NATS, SUBJECTS_TOKEN] },
        { provide: PRESENCE, useFactory: (n: Nats, s: Subjects) => startPresence(n, s), inject: [GATEWAY_NATS, SUBJECTS_TOKEN] },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.presence.stop();
    await this.nats.nc.drain().catch(() => undefined);
  }
}

/** Each gateway replica announces the users with live streams on it, under an id of its own. */
function startPresence(nats: Nats, subjects: Subjects): PresenceReporter {
  const reporter = new PresenceReporter(nats.nc, subjects, `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
  reporter.start();
  return reporter;
}
