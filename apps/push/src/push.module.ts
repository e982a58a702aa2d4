import { RpcHandlers } from '@im/eventstore';
import { RPC_HANDLERS, ServiceDefinition, ServiceKitModule, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { migrations } from './migrations';
import { pushCandidatesProjection } from './push-candidates.projection';

export const pushDefinition: ServiceDefinition = {
  service: 'push',
  migrations,
  projections: [pushCandidatesProjection],
};

const handlers: RpcHandlers<'push'> = {};

@Module({})
export class PushModule {
  static register(options: ServiceOptions = {}): DynamicModule {
    return {
      module: PushModule,
      imports: [ServiceKitModule.forService(pushDefinition, options)],
      providers: [ServiceRuntime, { provide: RPC_HANDLERS, useValue: handlers }],
    };
  }
}
