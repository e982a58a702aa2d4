import { Subjects } from '@im/contracts';
import { connectNats, Nats, RpcClient } from '@im/eventstore';
import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { GatewayConfig } from './gateway.config';
import { AuthGuard } from './http/auth.guard';
import { ErrorFilter } from './http/error.filter';
import { ConversationsController } from './routes/conversations.controller';
import { DocsController } from './routes/docs.controller';
import { ExpansionsController } from './routes/expansions.controller';
import { GroupsController } from './routes/groups.controller';
import { HealthController } from './routes/health.controller';
import { MessagesController } from './routes/messages.controller';
import { MessageTypesController } from './routes/message-types.controller';
import { RedPacketsController } from './routes/red-packets.controller';
import { UsersController } from './routes/users.controller';
import { GATEWAY_CONFIG, GATEWAY_NATS, RPC_CLIENT } from './tokens';

/** The REST gateway owns no tables: it authenticates, validates, and forwards over NATS. */
@Module({})
export class GatewayModule implements OnApplicationShutdown {
  constructor(@Inject(GATEWAY_NATS) private readonly nats: Nats) {}

  static register(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [HealthController, DocsController, UsersController, GroupsController, MessagesController, MessageTypesController, ConversationsController, ExpansionsController, RedPacketsController],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_NATS, useFactory: () => connectNats(config.natsUrl, 'im-gateway') },
        { provide: RPC_CLIENT, useFactory: (n: Nats) => new RpcClient(n.nc, new Subjects(config.subjectPrefix)), inject: [GATEWAY_NATS] },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nats.nc.drain().catch(() => undefined);
  }
}
