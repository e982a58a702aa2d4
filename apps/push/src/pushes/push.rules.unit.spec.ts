import { EventData } from '@im/contracts';
import { candidates, defaultText, isMentioned, isPermanent, mayPush, passesMute, pushBody, pushTitle, RECALL_TEXT, recallBody, recheck, retryDelay, streamDueAt, withSender } from './push.rules';

type Sent = EventData<'message.sent'>;

const sent = (over: Partial<Sent> = {}): Sent => ({
  messageUId: 'AAAA-BBBB-CCCC-DDDD',
  conversationId: '3:g1',
  conversationType: 3,
  targetId: 'g1',
  senderId: 'ann',
  objectName: 'RC:TxtMsg',
  content: { content: 'hello' },
  seq: 7,
  sentTime: 1,
  isPersisted: true,
  isCounted: true,
  isStatus: false,
  mention: null,
  disablePush: false,
  disablePushTitle: false,
  needReadReceipt: false,
  canIncludeExpansion: false,
  ...over,
});

describe('push rules', () => {
  it('pushes any message but status ones and chatrooms, unless disabled (its text decides the rest)', () => {
    expect(mayPush(sent())).toBe(true);
    expect(mayPush(sent({ isPersisted: false, seq: null, objectName: 'RC:CmdMsg', pushContent: 'ring' }))).toBe(true);
    expect(mayPush(sent({ isStatus: true, isPersisted: false, seq: null, pushContent: 'typing' }))).toBe(false);
    expect(mayPush(sent({ disablePush: true }))).toBe(false);
    expect(mayPush(sent({ conversationType: 4 }))).toBe(false);
  });

  it('pushes a command only with pushContent', () => {
    const cmd = sent({ objectName: 'RC:CmdMsg', content: { name: 'ring', data: '' }, isPersisted: false, seq: null });
    expect(pushBody(cmd, defaultText(cmd, null), false, 'Ann')).toBeNull();
    expect(pushBody({ ...cmd, pushContent: 'Incoming call' }, defaultText(cmd, null), false, 'Ann')).toEqual({ body: 'Ann: Incoming call', isDefault: false });
  });

  it('takes the default text from the catalogue, or the custom type', () => {
    expect(defaultText(sent(), null)).toBe('hello');
    expect(defaultText(sent({ objectName: 'RC:ImgMsg', content: {} }), null)).toBe('[Image]');
    expect(defaultText(sent({ objectName: 'RC:FileMsg', content: { name: 'a.pdf' } }), null)).toBe('[File] a.pdf');
    expect(defaultText(sent({ objectName: 'RC:InfoNtf', content: { message: 'x' } }), 'ignored')).toBeNull();
    expect(defaultText(sent({ objectName: 'app:red_packet', content: {} }), '[Red Packet]')).toBe('[Red Packet]');
    expect(defaultText(sent({ objectName: 'app:silent', content: {} }), null)).toBeNull();
    expect(RECALL_TEXT).toBe('recalled a message');
  });

  it('pushes mentionedContent to the mentioned exactly as given, else pushContent, else the default, "Sender: " first in groups', () => {
    const m = sent({ content: { content: 'hi', mentionedInfo: { type: 2, userIdList: ['bob'], mentionedContent: '@bob look' } }, pushContent: 'custom' });
    expect(pushBody(m, 'hi', true, 'Ann')).toEqual({ body: '@bob look', isDefault: false });
    expect(pushBody(m, 'hi', false, 'Ann')).toEqual({ body: 'Ann: custom', isDefault: false });
    expect(pushBody(sent(), 'hello', false, 'Ann')).toEqual({ body: 'Ann: hello', isDefault: true });
    expect(pushBody(sent({ conversationType: 1 }), 'hello', false, 'Ann')).toEqual({ body: 'hello', isDefault: true });
    expect(pushBody(sent({ content: { content: 'hi', mentionedInfo: { type: 1 } } }), 'hi', true, 'Ann')).toEqual({ body: 'Ann: hi', isDefault: true });
    expect(pushBody(sent({ objectName: 'RC:InfoNtf' }), null, false, 'Ann')).toBeNull();
  });

  it('pushes a recall as "recalled a message" or its pushContent', () => {
    expect(recallBody({ conversationType: 1 }, 'Ann')).toBe('recalled a message');
    expect(recallBody({ conversationType: 3 }, 'Ann')).toBe('Ann: recalled a message');
    expect(recallBody({ conversationType: 3, pushContent: 'took it back' }, 'Ann')).toBe('Ann: took it back');
  });

  it('holds an unfinished stream until its delay after the first chunk; anything else is due at once', () => {
    const stream = sent({ objectName: 'RC:StreamMsg', content: { content: 'Once', complete: false }, sentTime: 1000 });
    expect(streamDueAt(stream, 3000)).toBe(4000);
    expect(streamDueAt({ ...stream, content: { content: 'All', complete: true } }, 3000)).toBeNull();
    expect(streamDueAt(sent(), 3000)).toBeNull();
  });

  it('knows who is mentioned, and lets a mention through a mute', () => {
    expect(isMentioned(sent({ mention: { type: 1, userIds: [] } }), 'zed')).toBe(true);
    expect(isMentioned(sent({ mention: { type: 2, userIds: ['bob'] } }), 'bob')).toBe(true);
    expect(isMentioned(sent({ mention: { type: 2, userIds: ['bob'] } }), 'cat')).toBe(false);
    expect(isMentioned(sent(), 'bob')).toBe(false);
    expect(passesMute(false, false)).toBe(true);
    expect(passesMute(true, false)).toBe(false);
    expect(passesMute(true, true)).toBe(true);
  });

  it('never pushes the sender, nor anyone outside a directed message', () => {
    expect(candidates(sent(), ['ann', 'bob', 'cat'])).toEqual(['bob', 'cat']);
    expect(candidates(sent({ directedUserIds: ['cat'] }), ['ann', 'bob', 'cat'])).toEqual(['cat']);
  });

  it('titles with the group or sender name unless pushTitle, and drops it with disablePushTitle', () => {
    const names = { sender: 'Ann', group: 'Team' };
    expect(pushTitle(sent(), names)).toBe('Team');
    expect(pushTitle(sent({ conversationType: 1 }), names)).toBe('Ann');
    expect(pushTitle(sent({ conversationType: 6 }), names)).toBe('Ann');
    expect(pushTitle(sent({ pushTitle: 'Hey' }), names)).toBe('Hey');
    expect(pushTitle(sent({ pushTitle: 'Hey', disablePushTitle: true }), names)).toBeNull();
    expect(withSender(3, 'Ann', '[Image]')).toBe('Ann: [Image]');
    expect(withSender(1, 'Ann', '[Image]')).toBe('[Image]');
  });

  it('backs off exponentially and gives up at once on a permanent refusal', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(100, n))).toEqual([100, 200, 400, 800]);
    expect(isPermanent(400)).toBe(true);
    expect(isPermanent(410)).toBe(true);
    expect(isPermanent(429)).toBe(false);
    expect(isPermanent(500)).toBe(false);
    expect(isPermanent(null)).toBe(false);
  });

  describe('the re-check just before sending', () => {
    const base = { kind: 'message' as const, seq: 5, devicePresent: true, recalled: false, readSeq: 4, originalStatus: null, online: false };
    it('sends what is still unread, unrecalled and offline', () => expect(recheck(base)).toBe('send'));
    it('skips a recalled or read message', () => {
      expect(recheck({ ...base, recalled: true })).toEqual({ skip: 'recalled' });
      expect(recheck({ ...base, readSeq: 5 })).toEqual({ skip: 'read' });
    });
    it('skips a removed device and a user now online', () => {
      expect(recheck({ ...base, devicePresent: false })).toEqual({ skip: 'device_removed' });
      expect(recheck({ ...base, online: true })).toEqual({ skip: 'online' });
    });
    it('sends a recall whether or not its message was pushed, never before that push is done', () => {
      const recall = { ...base, kind: 'recall' as const, recalled: true, readSeq: 9 };
      expect(recheck({ ...recall, originalStatus: 'sent' })).toBe('send');
      expect(recheck({ ...recall, originalStatus: null })).toBe('send');
      expect(recheck({ ...recall, originalStatus: 'skipped' })).toBe('send');
      expect(recheck({ ...recall, originalStatus: 'sending' })).toBe('postpone');
      expect(recheck({ ...recall, originalStatus: 'pending' })).toBe('postpone');
      expect(recheck({ ...recall, originalStatus: 'sent', online: true })).toEqual({ skip: 'online' });
    });
    it('has nothing to read in a message that is not stored', () => expect(recheck({ ...base, seq: null, readSeq: 99 })).toBe('send'));
  });
});
