import { ConversationType, EventEnvelope } from '@im/contracts';

/** The conversation types addressed by "the other side": each user sees the peer as the target. */
const ADDRESSED_BY_PEER = new Set<number>([ConversationType.PRIVATE, ConversationType.SYSTEM]);

/** Events whose `targetId` is as the reader (`userId`) addresses it; the rest, as the sender does. */
const READER_EVENTS = new Set<string>(['conversation.read', 'receipt.sent']);

interface Addressed {
  conversationType?: number;
  targetId?: unknown;
  senderId?: unknown;
  userId?: unknown;
}

/**
 * The envelope as one recipient sees it. A private (or system) conversation event carries
 * `targetId` as one side addresses it: the sender of a message (so the recipient), the reader of
 * a read position. On a user's stream it names the conversation as that user sees it, like
 * history and the conversation list: the other side sees the first side as the target; the first
 * side's own devices get it unchanged. Group events are the same for everyone.
 *
 * Returns a function from user to envelope that makes at most one copy.
 */
export function envelopeSeenBy(event: EventEnvelope): (userId: string) => EventEnvelope {
  const data = event.data as Addressed | null;
  if (!data || !ADDRESSED_BY_PEER.has(data.conversationType ?? -1)) return () => event;
  const side = READER_EVENTS.has(event.type) ? data.userId : data.senderId;
  if (typeof side !== 'string' || typeof data.targetId !== 'string' || side === data.targetId) return () => event;
  let theirs: EventEnvelope | undefined;
  return (userId) => {
    if (userId === side) return event;
    theirs ??= { ...event, data: { ...(event.data as object), targetId: side } };
    return theirs;
  };
}
