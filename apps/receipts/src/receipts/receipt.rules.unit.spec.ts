import type { ReceiptMessage } from '../view/receipt-messages';
import { assertOwnWithReceipts, assertReceiptable, groupSorted, isRecipient, readerTarget, receiptMessageDic } from './receipt.rules';

const message = (messageUId: string, over: Partial<ReceiptMessage> = {}): ReceiptMessage => ({
  messageUId,
  conversationId: '3:g',
  conversationType: 3,
  targetId: 'g',
  seq: 1,
  senderId: 'alice',
  sentTime: 1,
  directedUserIds: null,
  memberCount: 4,
  recalled: false,
  receiptsOn: true,
  ...over,
});

describe('receipt rules', () => {
  const found = new Map([
    ['M-ON', message('M-ON')],
    ['M-OFF', message('M-OFF', { receiptsOn: false })],
    ['M-OWN', message('M-OWN', { senderId: 'bob' })],
    ['M-GONE', message('M-GONE', { recalled: true })],
    ['M-HIDDEN', message('M-HIDDEN')],
  ]);
  const visible = (m: ReceiptMessage) => m.messageUId !== 'M-HIDDEN';
  const attempt = (uids: string[]) => () => assertReceiptable('bob', uids, found, visible);

  it('accepts messages of others that collect receipts', () => {
    expect(assertReceiptable('bob', ['M-ON'], found, visible).map((m) => m.messageUId)).toEqual(['M-ON']);
  });

  it('refuses the whole call with one 404 for unknown, recalled and hidden messages, naming them', () => {
    expect(attempt(['M-ON', 'NOPE', 'M-GONE', 'M-HIDDEN'])).toThrow(
      expect.objectContaining({ status: 404, code: 'NOT_FOUND', details: { messageUIds: ['NOPE', 'M-GONE', 'M-HIDDEN'] } }),
    );
  });

  it('refuses own messages, then messages without receipts, with 422', () => {
    expect(attempt(['M-OFF', 'M-OWN'])).toThrow(expect.objectContaining({ status: 422, code: 'OWN_MESSAGE' }));
    expect(attempt(['M-ON', 'M-OFF'])).toThrow(expect.objectContaining({ status: 422, code: 'RECEIPT_NOT_REQUESTED', details: { messageUIds: ['M-OFF'] } }));
  });

  it("answers a sender about their own messages only, never telling someone else's from unknown", () => {
    expect(assertOwnWithReceipts('alice', ['M-ON'], found)).toHaveLength(1);
    expect(() => assertOwnWithReceipts('bob', ['M-ON'], found)).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => assertOwnWithReceipts('alice', ['M-OFF'], found)).toThrow(expect.objectContaining({ status: 422 }));
  });

  it('sees directed messages only as their sender or a recipient', () => {
    const directed = message('M-D', { directedUserIds: ['carol'] });
    expect(['alice', 'carol', 'bob'].map((u) => isRecipient(directed, u))).toEqual([true, true, false]);
    expect(isRecipient(message('M'), 'bob')).toBe(true);
  });

  it('builds RC:RRRspMsg receiptMessageDic by sender', () => {
    expect(receiptMessageDic([message('A'), message('B', { senderId: 'carol' }), message('C')])).toEqual({ alice: ['A', 'C'], carol: ['B'] });
  });

  it('names the conversation as the reader does', () => {
    expect(readerTarget({ conversationType: 1, targetId: 'pat', senderId: 'alice' }, 'pat')).toBe('alice');
    expect(readerTarget({ conversationType: 1, targetId: 'pat', senderId: 'alice' }, 'alice')).toBe('pat');
    expect(readerTarget({ conversationType: 3, targetId: 'g', senderId: 'alice' }, 'bob')).toBe('g');
  });

  it('groups in sorted key order, so locks are always taken in one order', () => {
    expect(groupSorted(['b1', 'a1', 'b2', 'c1'], (s) => s[0])).toEqual([['a', ['a1']], ['b', ['b1', 'b2']], ['c', ['c1']]]);
  });
});
