import { ConversationType, EventData } from '@im/contracts';
import { RECEIPT_ERRORS } from '../receipts/receipt.rules';

/** Pure rules of read positions. */

/**
 * Where a read moves the position to: the asked seq, or the latest message. A seq past the last
 * message receipts knows of is refused (the caller waits a moment first: the view may lag).
 */
export function readTarget(requested: number | undefined, lastSeq: number): number {
  const seq = requested ?? lastSeq;
  if (seq > lastSeq) throw RECEIPT_ERRORS.seqAhead(seq, lastSeq);
  return seq;
}

/** The stored result of the atomic forward-only upsert, or nothing when the position was ahead. */
export interface PositionMove {
  seq: number;
  prevSeq: number;
  rpos: number;
  prevRpos: number;
  version: number;
}

/** The reported position moved: others' receipts change, from prevRpos (exclusive) to rpos. */
export function reportedRange(move: PositionMove): { from: number; to: number } | null {
  return move.rpos > move.prevRpos ? { from: move.prevRpos, to: move.rpos } : null;
}

export interface ReadContext {
  userId: string;
  conversationId: string;
  conversationType: number;
  targetId: string;
  peerId: string | null;
  reported: boolean;
  readTime: number;
  /** The last message at or before the new position that the reader can see. */
  lastMessage: { messageUId: string; sentTime: number } | null;
}

/**
 * `conversation.read`: RC:SRSMsg for the reader's other devices (lastMessageSendTime) and, in a
 * private conversation whose reader reports reads, RC:ReadNtf for the peer.
 */
export function conversationRead(ctx: ReadContext, move: PositionMove): EventData<'conversation.read'> {
  const lastMessageSendTime = ctx.lastMessage?.sentTime ?? 0;
  const messageUId = ctx.lastMessage?.messageUId ?? null;
  const toPeer = ctx.conversationType === ConversationType.PRIVATE && ctx.reported;
  return {
    userId: ctx.userId,
    conversationId: ctx.conversationId,
    conversationType: ctx.conversationType as EventData<'conversation.read'>['conversationType'],
    targetId: ctx.targetId,
    seq: move.seq,
    previousSeq: move.prevSeq,
    readTime: ctx.readTime,
    lastMessageSendTime,
    messageUId,
    type: ctx.conversationType as EventData<'conversation.read'>['type'],
    reported: ctx.reported,
    peerId: toPeer ? ctx.peerId : null,
    readNtf: toPeer ? { lastMessageSendTime, messageUId, type: 1 } : null,
  };
}
