import { ConversationType, EventData, EventEnvelope, EventType } from '@im/contracts';
import { ConversationRef } from '../view/conversation-members';

/**
 * Who may see a domain event on their real-time stream: the members of its conversation, named
 * users, or the members of the conversation of a message looked up by id. `live` events (status
 * messages) are never stored and go only to users online at that moment.
 */
export type Audience =
  | { conversation: ConversationRef; live: boolean }
  | { users: string[] }
  | { messageOf: string; fallback: string[] };

type Data<T extends EventType> = EventData<T>;

const CONVERSATION_EVENTS = new Set<string>([
  'message.recalled',
  'message.stream.appended',
  'expansion.updated',
  'redpacket.created',
  'redpacket.claimed',
  'redpacket.completed',
  'redpacket.refunded',
]);

/**
 * Decides the audience from the event alone. Events nobody's stream carries (profiles, groups,
 * membership, message types, `redpacket.message.sent`, which the message itself announces)
 * answer null.
 */
export function audienceOf(event: EventEnvelope): Audience | null {
  if (event.type === 'message.sent') {
    const m = event.data as Data<'message.sent'>;
    // A chatroom's messages reach who is in the room now, live: never stored per member.
    return { conversation: m, live: m.isStatus || m.conversationType === ConversationType.CHATROOM };
  }
  if (CONVERSATION_EVENTS.has(event.type)) return { conversation: event.data as ConversationRef, live: false };
  switch (event.type) {
    case 'receipt.updated':
      return { users: [(event.data as Data<'receipt.updated'>).senderId] };
    case 'conversation.read': {
      // The reader's other devices (RC:SRSMsg) and, when reported in private, the peer (RC:ReadNtf).
      const r = event.data as Data<'conversation.read'>;
      return { users: r.peerId ? [r.userId, r.peerId] : [r.userId] };
    }
    case 'receipt.sent': {
      // RC:RRRspMsg: to the senders whose messages were read, and the reader's other devices.
      const r = event.data as Data<'receipt.sent'>;
      return { users: [r.userId, ...Object.keys(r.receiptMessageDic)] };
    }
    case 'receipt.requested': {
      // RC:RRReqMsg: to whoever sees the message; only the sender if push does not know it (yet).
      const r = event.data as Data<'receipt.requested'>;
      return { messageOf: r.messageUId, fallback: [r.senderId] };
    }
    case 'user.settings.updated':
    case 'device.registered':
    case 'device.removed':
    case 'conversation.notification.updated':
      return { users: [(event.data as { userId: string }).userId] };
    default:
      return null;
  }
}
