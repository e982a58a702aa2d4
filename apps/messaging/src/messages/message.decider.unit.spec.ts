import { Actor, AppError, BUILT_IN_MESSAGE_TYPES, parseOrThrow, SendMessageBody } from '@im/contracts';
import { decide, evolve, MessageCommand, MessageEvent, MessageState, STREAM_OBJECT_NAME, streamStart } from './message.decider';
import { AcceptedSend } from './send-batch';

const sentAt = 1_000_000;
const ann: Actor = { userId: 'ann', isServer: false };
const bob: Actor = { userId: 'bob', isServer: false };
const server: Actor = { userId: null, isServer: true };
const WINDOW = 120_000;

function accepted(objectName: string, content: Record<string, unknown>, over: Partial<AcceptedSend> = {}): AcceptedSend {
  const body = parseOrThrow(SendMessageBody, { conversationType: 3, targetId: 'g', objectName, content }, 'body');
  const type = BUILT_IN_MESSAGE_TYPES.get(objectName)!;
  return {
    conversationId: '3:g',
    senderId: 'ann',
    body,
    type,
    content,
    stream: streamStart(objectName, content),
    directed: undefined,
    expansion: undefined,
    mention: null,
    ...over,
  };
}
const send = (s: AcceptedSend, seq: number | null = 7): MessageCommand => ({
  type: 'send',
  send: s,
  messageUId: 'AAAA-BBBB-CCCC-DDDD',
  seq,
});
const text = send(accepted('RC:TxtMsg', { content: 'hi' }));
const streamed = send(accepted(STREAM_OBJECT_NAME, { content: 'he', seq: 1 }));

/** given these commands decided in turn (each at its own time), when the command at `now`, then its events or the refusal. */
function given(...steps: Array<[MessageCommand, number]>): MessageState {
  return steps.reduce<MessageState>((state, [c, now]) => decide(c, state, { now }).reduce(evolve, state), null);
}
const when = (state: MessageState, command: MessageCommand, now = sentAt + 1): MessageEvent[] => decide(command, state, { now });
function refusal(state: MessageState, command: MessageCommand, now = sentAt + 1): { code: string; status: number; details?: unknown } {
  try {
    when(state, command, now);
  } catch (e) {
    if (e instanceof AppError) return { code: e.code, status: e.status, ...(e.details ? { details: e.details } : {}) };
    throw e;
  }
  throw new Error('expected a refusal');
}
const recall = (actor: Actor, body: { isAdmin?: boolean; isDelete?: boolean; pushContent?: string } = {}): MessageCommand => ({
  type: 'recall',
  actor,
  body,
  recallWindowMs: WINDOW,
});
const chunk = (seq: number, content = 'llo', complete = false): MessageCommand => ({
  type: 'appendChunk',
  senderId: 'ann',
  chunk: { seq, content, complete },
});

describe('message decider: send', () => {
  it('given an accepted send and its place, then message.sent with that id, seq and time, and the record it leaves', () => {
    const [e] = when(null, text, sentAt);
    expect(e).toMatchObject({
      type: 'message.sent',
      data: {
        messageUId: 'AAAA-BBBB-CCCC-DDDD',
        conversationId: '3:g',
        senderId: 'ann',
        seq: 7,
        sentTime: sentAt,
        isPersisted: true,
        isCounted: true,
      },
    });
    expect(evolve(null, e)).toEqual({
      ...{ messageUId: 'AAAA-BBBB-CCCC-DDDD', conversationId: '3:g', conversationType: 3, targetId: 'g', senderId: 'ann', seq: 7 },
      ...{ objectName: 'RC:TxtMsg', sentTime: sentAt, directedUserIds: null, recalledAt: null, stream: null },
    });
  });

  it('given a message that is not stored (no seq), then it keeps no record', () => {
    expect(evolve(null, when(null, send(accepted('RC:TxtMsg', { content: 'hi' }), null))[0])).toBeNull();
  });

  it('given a chatroom, then its messages are never counted', () => {
    const body = parseOrThrow(
      SendMessageBody,
      { conversationType: 4, targetId: 'r', objectName: 'RC:TxtMsg', content: { content: 'x' } },
      'body',
    );
    const [e] = when(null, send(accepted('RC:TxtMsg', { content: 'x' }, { body, conversationId: '4:r' })));
    expect(e.data).toMatchObject({ isCounted: false });
  });
});

describe('message decider: ultra group channels', () => {
  it('given a send into a channel, then its event names the channel; its recall names it from the conversation id', () => {
    const body = parseOrThrow(
      SendMessageBody,
      { conversationType: 10, targetId: 'u', channelId: 'news', objectName: 'RC:TxtMsg', content: { content: 'x' } },
      'body',
    );
    const [e] = when(null, send(accepted('RC:TxtMsg', { content: 'x' }, { body, conversationId: '10:u:news' })), sentAt);
    expect(e.data).toMatchObject({ channelId: 'news', conversationId: '10:u:news' });
    expect(when(evolve(null, e), recall(ann), sentAt + 1)[0].data).toMatchObject({ channelId: 'news' });
  });
});

describe('message decider: recall', () => {
  const sent = () => given([text, sentAt]);

  it('given her message, when the sender recalls it within the window, then message.recalled', () => {
    const [e] = when(sent(), recall(ann, { isDelete: true, pushContent: 'gone' }), sentAt + 5);
    expect(e).toEqual({
      type: 'message.recalled',
      data: {
        ...{ messageUId: 'AAAA-BBBB-CCCC-DDDD', conversationId: '3:g', conversationType: 3, targetId: 'g', senderId: 'ann', seq: 7 },
        ...{ objectName: 'RC:TxtMsg', operatorId: 'ann', isAdmin: false, isDelete: true, recallTime: sentAt + 5, pushContent: 'gone' },
      },
    });
  });

  it('given her message, when recalled after the window, then 422 RECALL_WINDOW_PASSED; the server key with isAdmin may still', () => {
    expect(refusal(sent(), recall(ann), sentAt + WINDOW + 1)).toMatchObject({ code: 'RECALL_WINDOW_PASSED', status: 422 });
    expect(when(sent(), recall(server, { isAdmin: true }), sentAt + 10 * WINDOW)[0].data).toMatchObject({
      isAdmin: true,
      operatorId: null,
    });
  });

  it("given someone else's message, when recalled, then the 404 of one they cannot see; isAdmin without the server key, 403", () => {
    expect(refusal(sent(), recall(bob))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(refusal(null, recall(ann))).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(refusal(sent(), recall(ann, { isAdmin: true }))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('given a recalled message, when recalled again, then 409 ALREADY_RECALLED with the first recall time', () => {
    const recalled = given([text, sentAt], [recall(ann), sentAt + 5]);
    expect(recalled?.recalledAt).toBe(sentAt + 5);
    expect(refusal(recalled, recall(ann))).toEqual({ code: 'ALREADY_RECALLED', status: 409, details: { recallTime: sentAt + 5 } });
  });
});

describe('message decider: stream chunks', () => {
  it('given a stream at chunk 1, when chunk 2 comes, then message.stream.appended; the record counts its bytes', () => {
    const state = given([streamed, sentAt]);
    expect(state?.stream).toEqual({ seq: 1, bytes: 2, complete: false });
    const [e] = when(state, chunk(2));
    expect(e).toMatchObject({ type: 'message.stream.appended', data: { messageSeq: 7, seq: 2, content: 'llo', complete: false } });
    expect(evolve(state, e)?.stream).toEqual({ seq: 2, bytes: 5, complete: false });
  });

  it('given chunk 2, when chunk 2 again or chunk 4, then 409 STREAM_SEQ_MISMATCH naming 3', () => {
    const state = given([streamed, sentAt], [chunk(2), sentAt + 1]);
    for (const seq of [2, 4])
      expect(refusal(state, chunk(seq))).toEqual({ code: 'STREAM_SEQ_MISMATCH', status: 409, details: { expectedSeq: 3 } });
  });

  it('given a completed stream, when another chunk comes, then 409 STREAM_COMPLETED', () => {
    expect(refusal(given([streamed, sentAt], [chunk(2, 'x', true), sentAt + 1]), chunk(3)).code).toBe('STREAM_COMPLETED');
  });

  it('given chunks near 128 KB, when one would pass it, then 413 CONTENT_TOO_LARGE', () => {
    const big = given([streamed, sentAt], [chunk(2, 'x'.repeat(128 * 1024 - 10)), sentAt + 1]);
    expect(refusal(big, chunk(3, 'y'.repeat(20)))).toMatchObject({ code: 'CONTENT_TOO_LARGE', status: 413 });
  });

  it("given a text message, a recalled stream or someone else's stream, then 422 NOT_A_STREAM, 409 MESSAGE_RECALLED, 404", () => {
    expect(refusal(given([text, sentAt]), chunk(2)).code).toBe('NOT_A_STREAM');
    expect(refusal(given([streamed, sentAt], [recall(ann), sentAt + 1]), chunk(2)).code).toBe('MESSAGE_RECALLED');
    expect(
      refusal(given([streamed, sentAt]), { type: 'appendChunk', senderId: 'bob', chunk: { seq: 2, content: 'x', complete: false } }).status,
    ).toBe(404);
  });

  it('given a first chunk that is not chunk 1, then the send is refused at acceptance', () => {
    expect(() => streamStart(STREAM_OBJECT_NAME, { content: 'x', seq: 2 })).toThrow(expect.objectContaining({ status: 400 }));
  });
});
