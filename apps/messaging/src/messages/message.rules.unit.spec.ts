import { BUILT_IN_MESSAGE_TYPES } from '@im/contracts';
import { actingUser, assertMaySend, assertNoPacketKeys, assertSupportedConversation, mentionOf, validateContent } from './message.rules';
import { newMessageUId } from './message-uid';

const txt = BUILT_IN_MESSAGE_TYPES.get('RC:TxtMsg')!;

describe('message rules', () => {
  it('acts as the token user, or as X-User-Id with the server key', () => {
    expect(actingUser({ userId: 'u1', isServer: false })).toBe('u1');
    expect(actingUser({ userId: 'u2', isServer: true })).toBe('u2');
    expect(() => actingUser({ userId: null, isServer: true })).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('supports private, group, chatroom, system and ultra-group conversations', () => {
    [1, 3, 4, 6, 10].forEach((t) => expect(() => assertSupportedConversation(t)).not.toThrow());
    [2, 5].forEach((t) => expect(() => assertSupportedConversation(t)).toThrow(expect.objectContaining({ status: 422 })));
  });

  it('keeps system conversations read-only for users and private ones between two users', () => {
    expect(() => assertMaySend({ userId: 'u', isServer: false }, 6, 'u', 'sys')).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => assertMaySend({ userId: 'sys', isServer: true }, 6, 'sys', 'u')).not.toThrow();
    expect(() => assertMaySend({ userId: 'u', isServer: false }, 1, 'u', 'u')).toThrow(expect.objectContaining({ code: 'CANNOT_MESSAGE_SELF' }));
  });

  it('refuses content over 128 KB with 413 naming the field', () => {
    expect(() => validateContent(txt, { content: 'x'.repeat(128 * 1024) })).toThrow(
      expect.objectContaining({ status: 413, details: { field: 'content', limit: 131072 } }),
    );
    expect(validateContent(txt, { content: 'x'.repeat(1000) })).toEqual({ content: 'x'.repeat(1000) });
  });

  it('names each invalid content field under content.', () => {
    expect(() => validateContent(txt, { content: 3 })).toThrow(expect.objectContaining({ status: 400, details: [expect.objectContaining({ path: 'content.content' })] }));
    expect(() => validateContent(txt, { content: 'x', mentionedInfo: { type: 2 } })).toThrow(
      expect.objectContaining({ details: [expect.objectContaining({ path: 'content.mentionedInfo.userIdList' })] }),
    );
  });

  it('takes mentions in groups: from a user unless isMentioned is false, from the server key only with isMentioned: true', () => {
    const all = { content: 'x', mentionedInfo: { type: 1 } };
    expect(mentionOf(3, all, undefined, false)).toEqual({ type: 1, userIds: [] });
    expect(mentionOf(3, { content: 'x', mentionedInfo: { type: 2, userIdList: ['a', 'a', 'b'] } }, true, false)).toEqual({ type: 2, userIds: ['a', 'b'] });
    expect(mentionOf(3, all, false, false)).toBeNull();
    expect(mentionOf(3, { content: 'x' }, true, false)).toBeNull();
    expect(mentionOf(3, all, undefined, true)).toBeNull();
    expect(mentionOf(3, all, false, true)).toBeNull();
    expect(mentionOf(3, all, true, true)).toEqual({ type: 1, userIds: [] });
    expect(() => mentionOf(1, all, undefined, false)).toThrow(expect.objectContaining({ status: 400 }));
    // Ignored mentionedInfo is no mention at all, so nothing to refuse in a private conversation.
    expect(mentionOf(1, all, undefined, true)).toBeNull();
  });
});

describe('messageUId', () => {
  it("has RongCloud's shape and sorts by time", () => {
    const a = newMessageUId(1_700_000_000_000, Buffer.alloc(5, 0xff));
    const b = newMessageUId(1_700_000_000_001, Buffer.alloc(5, 0));
    expect(a).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(a < b).toBe(true);
  });

  it('differs between messages of the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newMessageUId(1_700_000_000_000)));
    expect(ids.size).toBe(1000);
  });
});

describe("a red packet's keys on a sender's message", () => {
  it('are refused on app:red_packet unless the red packet flow sends it', () => {
    expect(() => assertNoPacketKeys('app:red_packet', { status: 'claimed', mine: '1' }, undefined)).toThrow(
      expect.objectContaining({ code: 'RESERVED_EXPANSION_KEY', status: 422, details: { keys: ['status'], owner: 'red packet' } }),
    );
    expect(() => assertNoPacketKeys('app:red_packet', { open: 'false', status: 'unclaimed' }, 'red-packet')).not.toThrow();
  });

  it('leave other keys and other types alone', () => {
    expect(() => assertNoPacketKeys('app:red_packet', { mine: '1' }, undefined)).not.toThrow();
    expect(() => assertNoPacketKeys('app:red_packet', undefined, undefined)).not.toThrow();
    expect(() => assertNoPacketKeys('RC:TxtMsg', { status: 'x' }, undefined)).not.toThrow();
  });
});
