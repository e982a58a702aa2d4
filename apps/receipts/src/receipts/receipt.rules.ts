import { AppError, ConversationType, EventData } from '@im/contracts';
import type { ReceiptMessage } from '../view/receipt-messages';

/** Pure rules of per-message receipts: no I/O, each unit-tested. */

export const RECEIPT_ERRORS = {
  /** 422: a receipt for one's own message. */
  ownMessage: (messageUIds: string[]) =>
    new AppError('OWN_MESSAGE', 'receipts are for messages sent by others', { messageUIds }),
  /** 422: the message was sent without needReadReceipt and its sender has not asked since. */
  notRequested: (messageUIds: string[]) =>
    new AppError('RECEIPT_NOT_REQUESTED', 'the message does not collect read receipts', { messageUIds }),
  /** 422: a read position past the conversation's last message. */
  seqAhead: (seq: number, lastSeq: number) =>
    new AppError('READ_SEQ_AHEAD', `seq ${seq} is past the last message of the conversation (${lastSeq})`, { seq, lastSeq }),
};

function notFound(messageUIds: string[]): AppError {
  return new AppError('NOT_FOUND', 'message not found or no access', { messageUIds });
}

/**
 * Which of the named messages a reader may send receipts for. Every refusal is about the whole
 * call, so a batch is applied entirely or not at all: first what the caller may not see (404,
 * never telling "unknown" from "not yours"), then their own messages, then those without receipts.
 */
export function assertReceiptable(
  userId: string,
  messageUIds: readonly string[],
  found: ReadonlyMap<string, ReceiptMessage>,
  visible: (m: ReceiptMessage) => boolean,
): ReceiptMessage[] {
  const messages = messageUIds.map((id) => found.get(id));
  const hidden = messageUIds.filter((id, i) => !messages[i] || messages[i]!.recalled || !visible(messages[i]!));
  if (hidden.length > 0) throw notFound(hidden);
  const ok = messages as ReceiptMessage[];
  const own = ok.filter((m) => m.senderId === userId).map((m) => m.messageUId);
  if (own.length > 0) throw RECEIPT_ERRORS.ownMessage(own);
  const off = ok.filter((m) => !m.receiptsOn).map((m) => m.messageUId);
  if (off.length > 0) throw RECEIPT_ERRORS.notRequested(off);
  return ok;
}

/** The sender's view of their messages: anything else is one 404; a message without receipts a 422. */
export function assertOwnWithReceipts(userId: string, messageUIds: readonly string[], found: ReadonlyMap<string, ReceiptMessage>): ReceiptMessage[] {
  const messages = messageUIds.map((id) => found.get(id));
  const hidden = messageUIds.filter((id, i) => !messages[i] || messages[i]!.recalled || messages[i]!.senderId !== userId);
  if (hidden.length > 0) throw notFound(hidden);
  const ok = messages as ReceiptMessage[];
  const off = ok.filter((m) => !m.receiptsOn).map((m) => m.messageUId);
  if (off.length > 0) throw RECEIPT_ERRORS.notRequested(off);
  return ok;
}

/** A directed message is for its sender and its directed users only. */
export function isRecipient(m: Pick<ReceiptMessage, 'senderId' | 'directedUserIds'>, userId: string): boolean {
  return m.senderId === userId || !m.directedUserIds || m.directedUserIds.includes(userId);
}

/** RC:RRRspMsg's receiptMessageDic: each sender's messages this reader has read. */
export function receiptMessageDic(messages: ReadonlyArray<Pick<ReceiptMessage, 'senderId' | 'messageUId'>>): Record<string, string[]> {
  const dic: Record<string, string[]> = {};
  for (const m of messages) (dic[m.senderId] ??= []).push(m.messageUId);
  return dic;
}

/** RC:RRRspMsg as an event: one per conversation, for the receipts it newly recorded. */
export function receiptSent(userId: string, messages: readonly ReceiptMessage[], readTime: number): EventData<'receipt.sent'> {
  const m = messages[0];
  return {
    userId,
    conversationId: m.conversationId,
    conversationType: m.conversationType as EventData<'receipt.sent'>['conversationType'],
    targetId: readerTarget(m, userId),
    receiptMessageDic: receiptMessageDic(messages),
    readTime,
  };
}

/** The conversation as the reader addresses it: the group, or the other party (the sender). */
export function readerTarget(m: Pick<ReceiptMessage, 'conversationType' | 'targetId' | 'senderId'>, userId: string): string {
  if (m.conversationType === ConversationType.GROUP) return m.targetId;
  return m.senderId === userId ? m.targetId : m.senderId;
}

/** Groups items by a key, keys in sorted order: locks taken in this order never deadlock. */
export function groupSorted<T>(items: readonly T[], key: (t: T) => string): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
