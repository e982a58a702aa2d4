import { ConversationType } from '@im/contracts';
import { allEventsExcept, TypedEvent } from '@im/eventstore';
import { ConversationRef } from '../view/conversation-members';

/**
 * Who may see a domain event on their real-time stream: the members of its conversation, or
 * named users. `live` events (status messages) are never stored and go only to users online at
 * that moment. `directionOf`: the event does not say whether the message is directed, so the
 * conversation is narrowed to the message's direction if push keeps one (directed_messages).
 */
export type Audience = { conversation: ConversationRef; live: boolean; directionOf?: string } | { users: string[] };

/**
 * Events nobody's stream carries: profiles, groups and ultra groups, membership, chatrooms' own
 * changes (their messages announce them), message types, the app server's callbacks, and
 * `redpacket.message.sent` (the message itself announces it). Every other type is delivered, so
 * a new event type fails to compile in `audienceOf` until it is given an audience or listed here.
 */
export const UNDELIVERED_EVENTS = [
  'user.upserted',
  'group.upserted',
  'group.members.added',
  'group.members.removed',
  'chatroom.upserted',
  'chatroom.deleted',
  'chatroom.member.joined',
  'chatroom.member.left',
  'chatroom.attribute.changed',
  'ultragroup.upserted',
  'ultragroup.members.added',
  'ultragroup.members.removed',
  'ultragroup.channel.upserted',
  'ultragroup.expansion.changed',
  'message-type.registered',
  'redpacket.message.sent',
  'callback.before-send.configured',
  'callback.before-send.removed',
  'callback.post-send.configured',
  'callback.post-send.removed',
] as const;

export const DELIVERED_EVENTS = allEventsExcept(UNDELIVERED_EVENTS);
export type DeliveredEvent = (typeof DELIVERED_EVENTS)[number];

/** Decides the audience from the event alone. */
export function audienceOf(event: TypedEvent<DeliveredEvent>): Audience {
  switch (event.type) {
    case 'message.sent':
      // A chatroom's messages reach who is in the room now, live: never stored per member.
      return { conversation: event.data, live: event.data.isStatus || event.data.conversationType === ConversationType.CHATROOM };
    case 'message.recalled':
    case 'message.stream.appended':
    case 'expansion.updated':
    case 'redpacket.created':
    case 'redpacket.claimed':
    case 'redpacket.completed':
    case 'redpacket.refunded':
      return { conversation: event.data, live: false };
    case 'receipt.updated':
      return { users: [event.data.senderId] };
    case 'conversation.read': {
      // The reader's other devices (RC:SRSMsg) and, when reported in private, the peer (RC:ReadNtf).
      const r = event.data;
      return { users: r.peerId ? [r.userId, r.peerId] : [r.userId] };
    }
    case 'receipt.sent':
      // RC:RRRspMsg: to the senders whose messages were read, and the reader's other devices.
      return { users: [event.data.userId, ...Object.keys(event.data.receiptMessageDic)] };
    case 'receipt.requested':
      // RC:RRReqMsg: to whoever sees the message.
      return { conversation: event.data, live: false, directionOf: event.data.messageUId };
    case 'user.settings.updated':
    case 'device.registered':
    case 'device.removed':
    case 'conversation.notification.updated':
      return { users: [event.data.userId] };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
