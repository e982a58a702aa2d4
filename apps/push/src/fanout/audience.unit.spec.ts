import { EVENTS, EventType } from '@im/contracts';
import { TypedEvent } from '@im/eventstore';
import { audienceOf, DELIVERED_EVENTS, DeliveredEvent, UNDELIVERED_EVENTS } from './audience';

/** Only the fields the audience reads: the payloads are partial on purpose. */
const envelope = (type: DeliveredEvent, data: Record<string, unknown>) => ({
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
}) as unknown as TypedEvent<DeliveredEvent>;

const conv = { conversationType: 3, targetId: 'g1', senderId: 'ann', conversationId: '3:g1' };

describe('who sees an event on their stream', () => {
  it('sends messages and what happens to them to the conversation; status messages live only', () => {
    expect(audienceOf(envelope('message.sent', { ...conv, isStatus: false }))).toMatchObject({ conversation: { targetId: 'g1' }, live: false });
    expect(audienceOf(envelope('message.sent', { ...conv, isStatus: true }))).toMatchObject({ live: true });
    for (const t of ['message.recalled', 'message.stream.appended', 'expansion.updated', 'redpacket.claimed', 'redpacket.refunded'] as const) {
      expect(audienceOf(envelope(t, conv))).toMatchObject({ conversation: { senderId: 'ann' }, live: false });
    }
  });

  it('sends receipts to the sender, read positions to the reader (and the private peer)', () => {
    expect(audienceOf(envelope('receipt.updated', { ...conv, senderId: 'ann' }))).toEqual({ users: ['ann'] });
    expect(audienceOf(envelope('conversation.read', { userId: 'bob', peerId: null }))).toEqual({ users: ['bob'] });
    expect(audienceOf(envelope('conversation.read', { userId: 'bob', peerId: 'ann' }))).toEqual({ users: ['bob', 'ann'] });
    expect(audienceOf(envelope('receipt.sent', { userId: 'bob', receiptMessageDic: { ann: ['X'] } }))).toEqual({ users: ['bob', 'ann'] });
    // Its conversation, narrowed to the message's direction where push keeps one (directed_messages).
    expect(audienceOf(envelope('receipt.requested', { ...conv, messageUId: 'M' }))).toMatchObject({ conversation: { senderId: 'ann' }, live: false, directionOf: 'M' });
  });

  it("keeps a user's own settings to their devices, and is not offered the rest", () => {
    expect(audienceOf(envelope('conversation.notification.updated', { userId: 'bob' }))).toEqual({ users: ['bob'] });
    const notOffered: EventType[] = ['group.members.added', 'user.upserted', 'redpacket.message.sent'];
    for (const t of notOffered) expect(DELIVERED_EVENTS).not.toContain(t);
    expect([...DELIVERED_EVENTS, ...UNDELIVERED_EVENTS].sort()).toEqual(Object.keys(EVENTS).sort());
  });
});
