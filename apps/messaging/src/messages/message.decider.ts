import {
  Actor,
  channelOf,
  ConversationType,
  DEFAULT_CHANNEL,
  Errors,
  EventData,
  MAX_CONTENT_BYTES,
  NewEvent,
  RpcParsed,
} from '@im/contracts';
import type { AcceptedSend } from './send-batch';

/**
 * One message's rules after it was accepted (message.rules.ts checks a send before that):
 * `decide` turns a send (with the place the batch writer gave it), a recall or a stream chunk
 * into its event, or refuses; `evolve` folds the event into the message's write-side record
 * (`message_index`), whose row is written from the state after the event. Time, ids and seqs
 * come in; nothing is read here.
 */
export const STREAM_OBJECT_NAME = 'RC:StreamMsg';

export interface StreamState {
  seq: number;
  bytes: number;
  complete: boolean;
}

/** The write side's record of a stored message: what recall and streaming check and lock. */
export interface MessageRecord {
  messageUId: string;
  conversationId: string;
  conversationType: number;
  targetId: string;
  senderId: string;
  seq: number;
  objectName: string;
  sentTime: number;
  directedUserIds: string[] | null;
  recalledAt: number | null;
  stream: StreamState | null;
}

/** `null` until the message is sent (or for one that is not stored or does not exist). */
export type MessageState = MessageRecord | null;

type Chunk = RpcParsed<'messaging', 'messages.stream'>['body'];
type Recall = RpcParsed<'messaging', 'messages.recall'>['body'];

export type MessageCommand =
  /** An accepted send, placed: its id and its seq (null for a message that is not stored). */
  | { type: 'send'; send: AcceptedSend; messageUId: string; seq: number | null }
  | { type: 'recall'; actor: Actor; body: Recall; recallWindowMs: number }
  | { type: 'appendChunk'; senderId: string; chunk: Chunk };

export type MessageEvent = Extract<NewEvent, { type: 'message.sent' | 'message.recalled' | 'message.stream.appended' }>;

export function decide(command: MessageCommand, state: MessageState, { now }: { now: number }): MessageEvent[] {
  switch (command.type) {
    case 'send':
      return [{ type: 'message.sent', data: messageSent(command.send, command.messageUId, command.seq, now) }];
    case 'recall':
      return [{ type: 'message.recalled', data: recall(state, command, now) }];
    case 'appendChunk':
      return [{ type: 'message.stream.appended', data: appendChunk(state, command.senderId, command.chunk) }];
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

/** `message.sent` of an accepted send, once its place (seq) and time are known. */
function messageSent(s: AcceptedSend, messageUId: string, seq: number | null, now: number): EventData<'message.sent'> {
  const { body } = s;
  return {
    messageUId,
    conversationId: s.conversationId,
    conversationType: body.conversationType,
    targetId: body.targetId,
    senderId: s.senderId,
    objectName: body.objectName,
    content: s.content,
    seq,
    sentTime: now,
    isPersisted: s.type.isPersisted,
    // A chatroom's messages are never counted (nor listed, nor pushed).
    isCounted: s.type.isCounted && body.conversationType !== ConversationType.CHATROOM,
    isStatus: s.type.isStatus,
    mention: s.mention,
    pushContent: body.pushContent,
    pushTitle: body.pushTitle,
    ...(body.pushData !== undefined ? { pushData: body.pushData } : {}),
    disablePush: body.disablePush ?? false,
    disablePushTitle: body.disablePushTitle ?? false,
    needReadReceipt: body.needReadReceipt ?? false,
    canIncludeExpansion: body.canIncludeExpansion ?? false,
    ...(s.directed ? { directedUserIds: s.directed } : {}),
    ...(s.expansion ? { expansion: s.expansion } : {}),
    ...(body.conversationType === ConversationType.ULTRA_GROUP ? { channelId: body.channelId ?? DEFAULT_CHANNEL } : {}),
  };
}

/**
 * Who may recall: the sender within the window, the server key with isAdmin at any time (others
 * get the 404 of a message they cannot see). A message is recalled once.
 */
function recall(m: MessageState, { actor, body, recallWindowMs }: Extract<MessageCommand, { type: 'recall' }>, now: number) {
  if (body.isAdmin && !actor.isServer) throw Errors.forbidden('isAdmin needs the server key');
  const isAdmin = Boolean(actor.isServer && body.isAdmin);
  if (!m || (!isAdmin && actor.userId !== m.senderId)) throw Errors.notFound('message');
  if (m.recalledAt !== null) throw Errors.conflict('ALREADY_RECALLED', 'the message was already recalled', { recallTime: m.recalledAt });
  if (!isAdmin && now - m.sentTime > recallWindowMs) {
    throw Errors.unprocessable('RECALL_WINDOW_PASSED', `messages can be recalled within ${Math.round(recallWindowMs / 1000)} s of sending`);
  }
  const data: EventData<'message.recalled'> = {
    ...conversationOf(m),
    seq: m.seq,
    objectName: m.objectName,
    operatorId: actor.userId,
    isAdmin,
    isDelete: body.isDelete ?? false,
    recallTime: now,
    ...(body.pushContent !== undefined ? { pushContent: body.pushContent } : {}),
    ...(m.directedUserIds ? { directedUserIds: m.directedUserIds } : {}),
    ...channelOfRecord(m),
  };
  return data;
}

/**
 * The next chunk of its sender's stream: consecutive seq (a gap or a duplicate names the expected
 * one), nothing after completion or a recall, and all chunks together within 128 KB.
 */
function appendChunk(m: MessageState, senderId: string, chunk: Chunk): EventData<'message.stream.appended'> {
  if (!m || m.senderId !== senderId) throw Errors.notFound('message');
  if (m.objectName !== STREAM_OBJECT_NAME || !m.stream)
    throw Errors.unprocessable('NOT_A_STREAM', `only ${STREAM_OBJECT_NAME} messages take chunks`);
  if (m.recalledAt !== null) throw Errors.conflict('MESSAGE_RECALLED', 'the message was recalled');
  const next = nextStreamState(m.stream, chunk);
  return {
    ...conversationOf(m),
    messageSeq: m.seq,
    seq: next.seq,
    content: chunk.content,
    complete: next.complete,
    ...(chunk.completeReason !== undefined ? { completeReason: chunk.completeReason } : {}),
    ...(m.directedUserIds ? { directedUserIds: m.directedUserIds } : {}),
  };
}

function conversationOf(m: MessageRecord) {
  const conversationType = m.conversationType as EventData<'message.recalled'>['conversationType'];
  return { messageUId: m.messageUId, conversationId: m.conversationId, conversationType, targetId: m.targetId, senderId: m.senderId };
}

/** An ultra group's channel, which its conversation id names (recalls say it; chunks need not). */
function channelOfRecord(m: MessageRecord): { channelId?: string } {
  const channelId = channelOf(m.conversationId);
  return channelId !== undefined ? { channelId } : {};
}

/** The first chunk of a streaming message is chunk 1; the whole stream is capped at 128 KB. */
export function streamStart(objectName: string, content: Record<string, unknown>): StreamState | null {
  if (objectName !== STREAM_OBJECT_NAME) return null;
  if (content.seq !== undefined && content.seq !== 1) {
    throw Errors.validation([{ path: 'content.seq', message: 'the first chunk has seq 1' }], 'the first chunk of a stream has seq 1');
  }
  return { seq: 1, bytes: Buffer.byteLength(String(content.content ?? ''), 'utf8'), complete: content.complete === true };
}

function nextStreamState(state: StreamState, chunk: { seq: number; content: string; complete: boolean }): StreamState {
  if (state.complete) throw Errors.conflict('STREAM_COMPLETED', 'the stream is already complete');
  if (chunk.seq !== state.seq + 1) {
    throw Errors.conflict('STREAM_SEQ_MISMATCH', `expected seq ${state.seq + 1}`, { expectedSeq: state.seq + 1 });
  }
  const bytes = state.bytes + Buffer.byteLength(chunk.content, 'utf8');
  if (bytes > MAX_CONTENT_BYTES) throw Errors.tooLarge('content', MAX_CONTENT_BYTES);
  return { seq: chunk.seq, bytes, complete: chunk.complete };
}

/** A message that is not stored (seq null) keeps no record: there is nothing to recall or stream. */
export function evolve(state: MessageState, event: MessageEvent): MessageState {
  switch (event.type) {
    case 'message.sent': {
      const m = event.data;
      if (m.seq === null) return null;
      const { messageUId, conversationId, conversationType, targetId, senderId, objectName, sentTime } = m;
      const stream = streamStart(objectName, m.content);
      const rest = { seq: m.seq, objectName, sentTime, directedUserIds: m.directedUserIds ?? null, recalledAt: null, stream };
      return { messageUId, conversationId, conversationType, targetId, senderId, ...rest };
    }
    case 'message.recalled':
      return state && { ...state, recalledAt: event.data.recallTime };
    case 'message.stream.appended': {
      if (!state?.stream) return state;
      const { seq, complete, content } = event.data;
      return { ...state, stream: { seq, complete, bytes: state.stream.bytes + Buffer.byteLength(content, 'utf8') } };
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
