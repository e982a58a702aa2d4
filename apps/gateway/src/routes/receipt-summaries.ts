import { Actor, MessageView, ReceiptSummary, RpcRequest } from '@im/contracts';
import { RpcClient } from '@im/eventstore';

/** History is not held up long by a receipts service that does not answer. */
const SUMMARY_TIMEOUT_MS = 2000;

type WithReceipt = MessageView & { receipt?: { readCount: number; unreadCount: number } | { isPeerRead: boolean; timestamp: number | null } };

/**
 * History shows the caller's own messages with their receipt summary (PRODUCT "Shapes"). The
 * receipts service owns them; history still answers, without summaries, if it does not.
 */
export async function withReceipts<P extends { messages: MessageView[] }>(rpc: RpcClient, actor: Actor, page: P): Promise<P & { messages: WithReceipt[] }> {
  const own = page.messages.filter((m) => m.senderId === actor.userId && !m.recalled).map((m) => m.messageUId);
  if (!actor.userId || own.length === 0) return page;
  const { receipts } = (await rpc
    .raw('receipts', 'receipts.summaries', { actor, messageUIds: own } satisfies RpcRequest<'receipts', 'receipts.summaries'>, SUMMARY_TIMEOUT_MS)
    .catch(() => ({ receipts: [] }))) as { receipts: ReceiptSummary[] };
  if (receipts.length === 0) return page;
  const byUid = new Map(receipts.map((r) => [r.messageUId, r]));
  return { ...page, messages: page.messages.map((m) => (byUid.has(m.messageUId) ? { ...m, receipt: receiptOf(byUid.get(m.messageUId)!) } : m)) };
}

function receiptOf(r: ReceiptSummary): WithReceipt['receipt'] {
  return 'readCount' in r ? { readCount: r.readCount, unreadCount: r.unreadCount } : { isPeerRead: r.isPeerRead, timestamp: r.timestamp };
}
