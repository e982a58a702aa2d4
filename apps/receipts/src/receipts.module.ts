import { RpcHandlers } from '@im/eventstore';
import { RPC_HANDLERS, ServiceDefinition, ServiceKitModule, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { migrations } from './migrations';
import { receiptMessagesProjection } from './receipt-messages.projection';

export const receiptsDefinition: ServiceDefinition = {
  service: 'receipts',
  migrations,
  projections: [receiptMessagesProjection],
};

const handlers: RpcHandlers<'receipts'> = {};

@Module({})
export class ReceiptsModule {
  static register(options: ServiceOptions = {}): DynamicModule {
    return {
      module: ReceiptsModule,
      imports: [ServiceKitModule.forService(receiptsDefinition, options)],
      providers: [ServiceRuntime, { provide: RPC_HANDLERS, useValue: handlers }],
    };
  }
}
