import { conversationRead, readTarget, ReadContext, reportedRange } from './read.rules';

describe('read positions', () => {
  it('reads up to the latest message unless told a seq, and never past it', () => {
    expect(readTarget(undefined, 9)).toBe(9);
    expect(readTarget(4, 9)).toBe(4);
    expect(() => readTarget(10, 9)).toThrow(expect.objectContaining({ status: 422, code: 'READ_SEQ_AHEAD' }));
  });

  it('tells others only what the reported position newly reached', () => {
    expect(reportedRange({ seq: 9, prevSeq: 4, rpos: 9, prevRpos: 4, version: 2 })).toEqual({ from: 4, to: 9 });
    expect(reportedRange({ seq: 9, prevSeq: 4, rpos: 2, prevRpos: 2, version: 2 })).toBeNull();
  });

  describe('conversation.read', () => {
    const ctx: ReadContext = {
      userId: 'pat',
      conversationId: '1:alice:pat',
      conversationType: 1,
      targetId: 'alice',
      peerId: 'alice',
      reported: true,
      readTime: 5000,
      lastMessage: { messageUId: 'AAAA-BBBB-CCCC-DDDD', sentTime: 4000 },
    };
    const move = { seq: 3, prevSeq: 1, rpos: 3, prevRpos: 1, version: 2 };

    it('carries RC:ReadNtf for the peer of a private conversation', () => {
      expect(conversationRead(ctx, move)).toMatchObject({
        seq: 3,
        previousSeq: 1,
        lastMessageSendTime: 4000,
        messageUId: 'AAAA-BBBB-CCCC-DDDD',
        type: 1,
        peerId: 'alice',
        readNtf: { lastMessageSendTime: 4000, messageUId: 'AAAA-BBBB-CCCC-DDDD', type: 1 },
      });
    });

    it('tells the peer nothing when the reader turned receipts off; their devices still sync', () => {
      expect(conversationRead({ ...ctx, reported: false }, move)).toMatchObject({ reported: false, peerId: null, readNtf: null, lastMessageSendTime: 4000 });
    });

    it('has no peer in a group, and no message id when none is stored', () => {
      const group = conversationRead({ ...ctx, conversationType: 3, conversationId: '3:g', targetId: 'g', peerId: null, lastMessage: null }, move);
      expect(group).toMatchObject({ type: 3, peerId: null, readNtf: null, lastMessageSendTime: 0, messageUId: null });
    });
  });
});
