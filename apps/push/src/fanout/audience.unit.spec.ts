import { EventEnvelope } from '@im/contracts';
import { audienceOf } from './audience';

const envelope = (type: string, data: Record<string, unknown>): EventEnvelope => ({
  specversion: '1.0',
  id: 'e1',
  type,
  source: 'test',
  subject: 's',
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  dataversion: 1,
  position: '1',
  data,
});

const conv = { conversationType: 3, targetId: 'g1', senderId: 'ann', conversationId: '3:g1' };

describe('who sees an event on their stream', () => {
  it('sends messages and what happens to them to the conversation; status messages live only', () => {
    expect(audienceOf(envelope('message.sent', { ...conv, isStatus: false }))).toMatchObject({ conversation: { targetId: 'g1' }, live: false });
    expect(audienceOf(envelope('message.sent', { ...conv, isStatus: true }))).toMatchObject({ live: true });
    for (const t of ['message.recalled', 'message.stream.appended', 'expansion.updated', 'redpacket.claimed', 'redpacket.refunded']) {
      expect(audienceOf(envelope(t, conv))).toMatchObject({ conversation: { senderId: 'ann' }, live: false });
    }
  });

  it('sends receipts to the sender, read positions to the reader (and the private peer)', () => {
    expect(audienceOf(envelope('receipt.updated', { ...conv, senderId: 'ann' }))).toEqual({ users: ['ann'] });
    expect(audienceOf(envelope('conversation.read', { userId: 'bob', peerId: null }))).toEqual({ users: ['bob'] });
    expect(audienceOf(envelope('conversation.read', { userId: 'bob', peerId: 'ann' }))).toEqual({ users: ['bob', 'ann'] });
    expect(audienceOf(envelope('receipt.sent', { userId: 'bob', receiptMessageDic: { ann: ['X'] } }))).toEqual({ users: ['bob', 'ann'] });
    expect(audienceOf(envelope('receipt.requested', { messageUId: 'M', senderId: 'ann' }))).toEqual({ messageOf: 'M', fallback: ['ann'] });
  });

  it("keeps a user's own settings to their devices, and ignores the rest", () => {
    expect(audienceOf(envelope('conversation.notification.updated', { userId: 'bob' }))).toEqual({ users: ['bob'] });
    expect(audienceOf(envelope('group.members.added', { groupId: 'g1', userIds: ['x'] }))).toBeNull();
    expect(audienceOf(envelope('user.upserted', { userId: 'x' }))).toBeNull();
    expect(audienceOf(envelope('redpacket.message.sent', { redPacketId: 'r', messageUId: 'M' }))).toBeNull();
  });
});
