import { AppError } from '@im/contracts';
import { decide, evolve, initialPosition, MarkRead, ReadEvent, ReadPosition, readTarget, reportedRange } from './read-position.decider';

const privateChat = { conversationId: '1:alice:pat', conversationType: 1, targetId: 'alice', lastSeq: 9, peerId: 'alice', reported: true };
const last = { messageUId: 'AAAA-BBBB-CCCC-DDDD', sentTime: 4000 };
const read = (over: Partial<MarkRead> = {}): MarkRead => ({
  type: 'markRead',
  userId: 'pat',
  conversation: privateChat,
  requestedSeq: 3,
  readTime: 5000,
  lastMessage: last,
  ...over,
});

/** given the reader's earlier reads, when they read, then `conversation.read` or nothing. */
function given(...reads: MarkRead[]): ReadPosition {
  return reads.reduce((p, r) => decide(r, p).reduce(evolve, p), initialPosition());
}
const when = (position: ReadPosition, command: MarkRead): ReadEvent[] => decide(command, position);

describe('read position decider', () => {
  it('given no reads, when read up to 3, then conversation.read from 0 with RC:ReadNtf for the private peer', () => {
    expect(when(given(), read())).toEqual([
      {
        type: 'conversation.read',
        data: {
          ...{
            userId: 'pat',
            conversationId: '1:alice:pat',
            conversationType: 1,
            targetId: 'alice',
            seq: 3,
            previousSeq: 0,
            readTime: 5000,
          },
          ...{ lastMessageSendTime: 4000, messageUId: last.messageUId, type: 1, reported: true, peerId: 'alice' },
          readNtf: { lastMessageSendTime: 4000, messageUId: last.messageUId, type: 1 },
        },
      },
    ]);
  });

  it('given no seq asked, when read, then up to the latest message; a seq past it is 422 READ_SEQ_AHEAD', () => {
    expect(when(given(), read({ requestedSeq: undefined }))[0].data.seq).toBe(9);
    try {
      when(given(), read({ requestedSeq: 10 }));
      throw new Error('expected a refusal');
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect(e).toMatchObject({ status: 422, code: 'READ_SEQ_AHEAD', details: { seq: 10, lastSeq: 9 } });
    }
    expect(readTarget(4, 9)).toBe(4);
  });

  it('given a read up to 5, when read up to 5 or 3 again, then nothing: the position only moves forward', () => {
    const at5 = given(read({ requestedSeq: 5 }));
    expect(when(at5, read({ requestedSeq: 5 }))).toEqual([]);
    expect(when(at5, read({ requestedSeq: 3 }))).toEqual([]);
    expect(when(at5, read({ requestedSeq: 7 }))[0].data).toMatchObject({ seq: 7, previousSeq: 5 });
  });

  it('given an empty conversation, when read, then nothing', () => {
    expect(when(given(), read({ conversation: { ...privateChat, lastSeq: 0 }, requestedSeq: undefined }))).toEqual([]);
  });

  it('given a reader who turned receipts off, when they read, then their devices sync but the peer is told nothing and rpos stays', () => {
    const quiet = read({ conversation: { ...privateChat, reported: false }, requestedSeq: 6 });
    const [e] = when(given(read()), quiet);
    expect(e.data).toMatchObject({ reported: false, peerId: null, readNtf: null, lastMessageSendTime: 4000, seq: 6 });
    const before = given(read());
    const after = evolve(before, e);
    expect(after).toMatchObject({ seq: 6, rpos: 3, reportedAt: 5000, version: 2 });
    expect(reportedRange(before, after)).toBeNull();
  });

  it('given reported reads, then the reported position follows and others learn the range it newly reached', () => {
    const before = given(read());
    const after = given(read(), read({ requestedSeq: 9, readTime: 6000 }));
    expect(after).toEqual({ seq: 9, rpos: 9, readAt: 6000, reportedAt: 6000, version: 2 });
    expect(reportedRange(before, after)).toEqual({ from: 3, to: 9 });
  });

  it('given a group, when read, then no peer and no RC:ReadNtf; no message stored, then no message id', () => {
    const group = { conversationId: '3:g', conversationType: 3, targetId: 'g', lastSeq: 9, peerId: null, reported: true };
    const [e] = when(given(), read({ conversation: group, lastMessage: null }));
    expect(e.data).toMatchObject({ type: 3, peerId: null, readNtf: null, lastMessageSendTime: 0, messageUId: null });
  });
});
