import { RPC_HANDLERS, ServiceDefinition, ServiceKitModule, ServiceOptions, ServiceRuntime } from '@im/service-kit';
import { DynamicModule, Module } from '@nestjs/common';
import { ReceiptFlusher } from './counts/receipt-flusher';
import { migrations } from './migrations';
import { RECEIPTS_HANDLER_DEPS, receiptsRpc } from './receipts.rpc';
import { RECEIPTS_SETTINGS, receiptsSettings, ReceiptsSettings } from './receipts.settings';
import { receiptViewProjection } from './view/receipt-view.projection';

export const receiptsDefinition: ServiceDefinition = {
  service: 'receipts',
  migrations,
  projections: [receiptViewProjection],
};

@Module({})
export class ReceiptsModule {
  static register(options: ServiceOptions = {}, settings: Partial<ReceiptsSettings> = {}): DynamicModule {
    const ownSettings = receiptsSettings(process.env, settings);
    return {
      module: ReceiptsModule,
      imports: [ServiceKitModule.forService(receiptsDefinition, options)],
      providers: [
        // The runtime first: it runs the migrations before the flusher starts.
        ServiceRuntime,
        ReceiptFlusher,
        ...RECEIPTS_HANDLER_DEPS,
        { provide: RECEIPTS_SETTINGS, useValue: ownSettings },
        { provide: RPC_HANDLERS, useFactory: receiptsRpc, inject: [...RECEIPTS_HANDLER_DEPS] },
      ],
    };
  }
}
