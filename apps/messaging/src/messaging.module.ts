import { RPC_HANDLERS, ServiceDefinition, ServiceKitModule, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { BeforeSendCache, BeforeSendFollower } from './callbacks/before-send.cache';
import { BeforeSendGate } from './callbacks/before-send.gate';
import { conversationsProjection } from './conversations/conversations.projection';
import { messageExpansionsProjection } from './conversations/message-expansions.projection';
import { MESSAGING_HANDLER_DEPS, messagingRpc } from './messaging.rpc';
import { MESSAGING_SETTINGS, messagingSettings, MessagingSettings } from './messaging.settings';
import { migrations } from './migrations';

export const messagingDefinition: ServiceDefinition = {
  service: 'messaging',
  migrations,
  projections: [conversationsProjection, messageExpansionsProjection],
};

@Module({})
export class MessagingModule {
  static register(options: ServiceOptions = {}, settings: Partial<MessagingSettings> = {}): DynamicModule {
    const ownSettings = messagingSettings(process.env, settings);
    return {
      module: MessagingModule,
      imports: [ServiceKitModule.forService(messagingDefinition, options)],
      providers: [
        ServiceRuntime,
        ...MESSAGING_HANDLER_DEPS,
        BeforeSendCache,
        BeforeSendFollower,
        BeforeSendGate,
        { provide: MESSAGING_SETTINGS, useValue: ownSettings },
        { provide: RPC_HANDLERS, useFactory: messagingRpc, inject: [...MESSAGING_HANDLER_DEPS] },
      ],
    };
  }
}
