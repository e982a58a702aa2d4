import { RpcHandlers } from '@im/eventstore';
import { RPC_HANDLERS, ServiceDefinition, ServiceKitModule, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { migrations } from './migrations';
import { messageRefsProjection } from './message-refs.projection';

export const expansionsDefinition: ServiceDefinition = {
  service: 'expansions',
  migrations,
  projections: [messageRefsProjection],
};

const handlers: RpcHandlers<'expansions'> = {};

@Module({})
export class ExpansionsModule {
  static register(options: ServiceOptions = {}): DynamicModule {
    return {
      module: ExpansionsModule,
      imports: [ServiceKitModule.forService(expansionsDefinition, options)],
      providers: [ServiceRuntime, { provide: RPC_HANDLERS, useValue: handlers }],
    };
  }
}
