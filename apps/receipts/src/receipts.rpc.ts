import { RpcHandlers } from '@im/eventstore';
import { ReceiptsQueries } from './counts/receipts.queries';
import { MarkReadService } from './positions/mark-read.service';
import { RequestReceiptService } from './receipts/request-receipt.service';
import { SendReceiptsService } from './receipts/send-receipts.service';
import { SettingsService } from './settings/settings.service';

export const RECEIPTS_HANDLER_DEPS = [MarkReadService, SendReceiptsService, RequestReceiptService, ReceiptsQueries, SettingsService] as const;

/** The thin NATS edge: each method maps one validated request to one call. */
export function receiptsRpc(
  read: MarkReadService,
  send: SendReceiptsService,
  request: RequestReceiptService,
  queries: ReceiptsQueries,
  settings: SettingsService,
): RpcHandlers<'receipts'> {
  return {
    'conversations.read': (r) => read.markRead(r),
    'receipts.send': (r) => send.send(r),
    'receipts.get': (r) => queries.get(r),
    'receipts.summaries': (r) => queries.summariesOf(r),
    'receipts.request': (r) => request.request(r),
    'receipts.readers': (r) => queries.readers(r),
    'settings.get': (r) => settings.get(r),
    'settings.update': (r) => settings.update(r),
  };
}
