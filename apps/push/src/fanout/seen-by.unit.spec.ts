import { EventEnvelope } from '@im/contracts';
import { envelopeSeenBy } from './seen-by';

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

const target = (e: EventEnvelope) => (e.data as { targetId: string }).targetId;

describe('an event as each recipient sees it', () => {
  it('names the sender as the target for the recipient of a private message, the recipient for the sender', () => {
    const e = envelope('message.sent', { conversationType: 1, targetId: 'bob', senderId: 'ann', content: { content: 'hi' } });
    const seen = envelopeSeenBy(e);
    expect(target(seen('bob'))).toBe('ann');
    expect(target(seen('ann'))).toBe('bob');
    expect(seen('ann')).toBe(e);
    expect(seen('bob')).toBe(seen('bob'));
    expect(seen('bob').data).toMatchObject({ senderId: 'ann', content: { content: 'hi' } });
    expect(target(e)).toBe('bob');
  });

  it('does the same for what happens to a private message and for system messages', () => {
    for (const type of ['message.recalled', 'expansion.updated', 'redpacket.claimed', 'receipt.requested']) {
      expect(target(envelopeSeenBy(envelope(type, { conversationType: 1, targetId: 'bob', senderId: 'ann' }))('bob'))).toBe('ann');
    }
    expect(target(envelopeSeenBy(envelope('message.sent', { conversationType: 6, targetId: 'bob', senderId: 'sys' }))('bob'))).toBe('sys');
  });

  it("turns a read position around for the reader's peer", () => {
    const e = envelope('conversation.read', { conversationType: 1, userId: 'bob', targetId: 'ann', peerId: 'ann' });
    expect(target(envelopeSeenBy(e)('ann'))).toBe('bob');
    expect(envelopeSeenBy(e)('bob')).toBe(e);
  });

  it('leaves group events and events without a conversation alone', () => {
    const group = envelope('message.sent', { conversationType: 3, targetId: 'g1', senderId: 'ann' });
    expect(envelopeSeenBy(group)('bob')).toBe(group);
    const device = envelope('device.registered', { userId: 'bob', deviceId: 'd' });
    expect(envelopeSeenBy(device)('bob')).toBe(device);
  });
});
