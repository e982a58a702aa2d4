import { ConversationType, EventData, NewEvent } from '@im/contracts';
import { RECEIPT_ERRORS } from '../receipts/receipt.rules';
import { ReaderConversation } from '../view/receipt-messages';

/**
 * A reader's position in one conversation (PRODUCT.md "Read state"): `decide` turns a read into
 * `conversation.read` or nothing, `evolve` folds it in. The position only moves forward; the
 * reported position (what others see) follows it only while the reader reports reads.
 * `positions.store.ts` loads it under the reader's lock and writes the row from the events.
 */
export interface ReadPosition {
  seq: number;
  /** The reported position: receipts of others count up to here. */
  rpos: number;
  readAt: number | null;
  reportedAt: number | null;
  /** Events in the reader's stream of this conversation. */
  version: number;
}

export const initialPosition = (): ReadPosition => ({ seq: 0, rpos: 0, readAt: null, reportedAt: null, version: 0 });

export interface MarkRead {
  type: 'markRead';
  userId: string;
  conversation: ReaderConversation;
  /** The seq asked for; none means the latest message. */
  requestedSeq: number | undefined;
  readTime: number;
  /** The last message at or before the target that the reader can see (loaded for the target). */
  lastMessage: { messageUId: string; sentTime: number } | null;
}

export type ReadEvent = Extract<NewEvent, { type: 'conversation.read' }>;

/**
 * Where a read moves the position to: the asked seq, or the latest message. A seq past the last
 * message receipts knows of is refused (the caller waits a moment first: the view may lag).
 */
export function readTarget(requested: number | undefined, lastSeq: number): number {
  const seq = requested ?? lastSeq;
  if (seq > lastSeq) throw RECEIPT_ERRORS.seqAhead(seq, lastSeq);
  return seq;
}

/** Whether reading up to `target` moves the position: only forward, never back or in place. */
export function movesTo(position: ReadPosition, target: number): boolean {
  return target > position.seq;
}

export function decide(command: MarkRead, position: ReadPosition): ReadEvent[] {
  const target = readTarget(command.requestedSeq, command.conversation.lastSeq);
  if (!movesTo(position, target)) return [];
  return [{ type: 'conversation.read', data: conversationRead(command, position, target) }];
}

/**
 * `conversation.read`: RC:SRSMsg for the reader's other devices (lastMessageSendTime) and, in a
 * private conversation whose reader reports reads, RC:ReadNtf for the peer.
 */
function conversationRead(c: MarkRead, position: ReadPosition, seq: number): EventData<'conversation.read'> {
  const { conversationId, targetId, peerId, reported } = c.conversation;
  const conversationType = c.conversation.conversationType as EventData<'conversation.read'>['conversationType'];
  const lastMessageSendTime = c.lastMessage?.sentTime ?? 0;
  const messageUId = c.lastMessage?.messageUId ?? null;
  const toPeer = conversationType === ConversationType.PRIVATE && reported;
  return {
    ...{ userId: c.userId, conversationId, conversationType, targetId, seq, previousSeq: position.seq, readTime: c.readTime },
    ...{ lastMessageSendTime, messageUId, type: conversationType as EventData<'conversation.read'>['type'], reported },
    peerId: toPeer ? peerId : null,
    readNtf: toPeer ? { lastMessageSendTime, messageUId, type: 1 } : null,
  };
}

export function evolve(position: ReadPosition, event: ReadEvent): ReadPosition {
  const { seq, reported, readTime } = event.data;
  return {
    seq,
    rpos: reported ? seq : position.rpos,
    readAt: readTime,
    reportedAt: reported ? readTime : position.reportedAt,
    version: position.version + 1,
  };
}

/** The reported position moved: others' receipts change, from the old rpos (exclusive) to the new. */
export function reportedRange(before: ReadPosition, after: ReadPosition): { from: number; to: number } | null {
  return after.rpos > before.rpos ? { from: before.rpos, to: after.rpos } : null;
}
