import { RPC_HANDLERS, ServiceDefinition, ServiceKitModule, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { conversationsProjection } from './conversations/conversations.projection';
import { ConversationsQueries } from './conversations/conversations.queries';
import { GroupsService } from './groups/groups.service';
import { messagingRpc } from './messaging.rpc';
import { SendMessageService } from './messages/send-message.service';
import { migrations } from './migrations';
import { UsersService } from './users/users.service';

export const messagingDefinition: ServiceDefinition = {
  service: 'messaging',
  migrations,
  projections: [conversationsProjection],
};

@Module({})
export class MessagingModule {
  static register(options: ServiceOptions = {}): DynamicModule {
    return {
      module: MessagingModule,
      imports: [ServiceKitModule.forService(messagingDefinition, options)],
      providers: [
        ServiceRuntime,
        UsersService,
        GroupsService,
        SendMessageService,
        ConversationsQueries,
        {
          provide: RPC_HANDLERS,
          useFactory: messagingRpc,
          inject: [UsersService, GroupsService, SendMessageService, ConversationsQueries],
        },
      ],
    };
  }
}
