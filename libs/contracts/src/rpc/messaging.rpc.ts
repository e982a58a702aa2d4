import { z } from 'zod';
import {
  Actor,
  AddMembersBody,
  ConversationListQuery,
  HistoryQuery,
  RecallBody,
  RegisterMessageTypeBody,
  SendMessageBody,
  StreamAppendBody,
  UpsertChannelBody,
  UpsertGroupBody,
  UpsertUltraGroupBody,
  UpsertUserBody,
  BatchUpsertUsersBody,
} from '../api';
import {
  ChatroomAttributeKey,
  ChatroomAttributeView,
  ChatroomView,
  DeleteChatroomAttributeBody,
  SetChatroomAttributeBody,
  UpsertChatroomBody,
} from '../chatrooms-api';
import { ConversationTypeSchema, EntityId, MessageUId } from '../ids';
import { NamedChannelId } from '../api';

/** The request/reply methods of the messaging service, and what they return. */
export interface MessageView {
  messageUId: string;
  seq: number | null;
  conversationType: number;
  targetId: string;
  senderId: string;
  objectName: string;
  content: Record<string, unknown>;
  sentTime: number;
  needReadReceipt: boolean;
  canIncludeExpansion: boolean;
  directedUserIds?: string[];
  /** Ultra groups only: the message's channel (`""` is the default). */
  channelId?: string;
  recalled?: boolean;
  /** A plain `{ key: value }` map, on messages sent with canIncludeExpansion. */
  expansion?: Record<string, string>;
}

export interface ConversationView {
  conversationType: number;
  targetId: string;
  /** Ultra groups only: each channel is a conversation of its own (`""` is the default). */
  channelId?: string;
  lastMessage: MessageView | null;
  unreadCount: number;
  mentionedCount: number;
  readSeq: number;
  muted: boolean;
}

/**
 * A page of history, newest first. A page can be shorter than `limit` (it is bounded by bytes
 * too): `hasMore` says whether older messages follow, `nextBefore` is the `before` to ask next.
 */
export interface HistoryPage {
  messages: MessageView[];
  hasMore: boolean;
  nextBefore: number | null;
}

/** A page of the conversation list: `nextCursor` (null at the end) continues it. */
export interface ConversationPage {
  conversations: ConversationView[];
  nextCursor: string | null;
}

export interface SendMessageResult {
  messageUId: string;
  seq: number | null;
  sentTime: number;
}

export const IdempotencyKey = z.string().min(1).max(128).optional();

export const MESSAGING_RPC = {
  'users.upsert': z.strictObject({ actor: Actor, userId: EntityId, body: UpsertUserBody }),
  'users.get': z.strictObject({ actor: Actor, userId: EntityId }),
  'users.upsertMany': z.strictObject({ actor: Actor, body: BatchUpsertUsersBody }),
  'groups.upsert': z.strictObject({ actor: Actor, groupId: EntityId, body: UpsertGroupBody }),
  'groups.members.add': z.strictObject({ actor: Actor, groupId: EntityId, body: AddMembersBody }),
  'groups.members.remove': z.strictObject({ actor: Actor, groupId: EntityId, userId: EntityId }),
  'chatrooms.upsert': z.strictObject({ actor: Actor, chatroomId: EntityId, body: UpsertChatroomBody }),
  'chatrooms.delete': z.strictObject({ actor: Actor, chatroomId: EntityId }),
  'chatrooms.get': z.strictObject({ actor: Actor, chatroomId: EntityId }),
  'chatrooms.join': z.strictObject({ actor: Actor, chatroomId: EntityId }),
  'chatrooms.leave': z.strictObject({ actor: Actor, chatroomId: EntityId }),
  'chatrooms.attributes.set': z.strictObject({ actor: Actor, chatroomId: EntityId, key: ChatroomAttributeKey, body: SetChatroomAttributeBody }),
  'chatrooms.attributes.delete': z.strictObject({ actor: Actor, chatroomId: EntityId, key: ChatroomAttributeKey, body: DeleteChatroomAttributeBody }),
  'chatrooms.attributes.list': z.strictObject({ actor: Actor, chatroomId: EntityId }),
  'ultraGroups.upsert': z.strictObject({ actor: Actor, ultraGroupId: EntityId, body: UpsertUltraGroupBody }),
  'ultraGroups.members.add': z.strictObject({ actor: Actor, ultraGroupId: EntityId, body: AddMembersBody }),
  'ultraGroups.members.remove': z.strictObject({ actor: Actor, ultraGroupId: EntityId, userId: EntityId }),
  'ultraGroups.channels.upsert': z.strictObject({ actor: Actor, ultraGroupId: EntityId, channelId: NamedChannelId, body: UpsertChannelBody }),
  'messages.send': z.strictObject({
    actor: Actor,
    idempotencyKey: IdempotencyKey,
    body: SendMessageBody,
    /**
     * Set by the expansions service only, when it sends a red packet's own message: then, and only
     * then, the expansion may carry the packet's keys (`RED_PACKET_KEYS`). The gateway never sets it.
     */
    sentFor: z.literal('red-packet').optional(),
  }),
  'messages.recall': z.strictObject({ actor: Actor, messageUId: MessageUId, body: RecallBody }),
  'messages.stream': z.strictObject({ actor: Actor, messageUId: MessageUId, body: StreamAppendBody }),
  'message-types.register': z.strictObject({ actor: Actor, objectName: z.string(), body: RegisterMessageTypeBody }),
  'conversations.list': z.strictObject({ actor: Actor, query: ConversationListQuery }),
  'conversations.history': z.strictObject({
    actor: Actor,
    conversationType: ConversationTypeSchema,
    targetId: EntityId,
    query: HistoryQuery,
  }),
  /**
   * Server only (the push badge): each user's total unread count. With `after`, the answer waits
   * (briefly) until the conversations projection has applied that message, so it is counted.
   */
  'conversations.unreadTotals': z.strictObject({
    actor: Actor,
    userIds: z.array(EntityId).min(1).max(500),
    after: z.strictObject({ conversationId: z.string(), seq: z.number().int().positive() }).optional(),
  }),
} as const;

export interface MessagingReplies {
  'users.upsert': { userId: string; name: string; portrait: string | null };
  'users.get': { userId: string; name: string; portrait: string | null };
  /** `changed`: how many profiles were new or different (the others appended nothing). */
  'users.upsertMany': { users: Array<{ userId: string; name: string; portrait: string | null }>; changed: number };
  'groups.upsert': { groupId: string; name: string; memberIds: string[] };
  'groups.members.add': { groupId: string; added: string[] };
  'groups.members.remove': { groupId: string; removed: string[] };
  'chatrooms.upsert': ChatroomView;
  'chatrooms.delete': { chatroomId: string; deleted: true };
  'chatrooms.get': ChatroomView;
  /** The latest messages (up to CHATROOM_JOIN_HISTORY), newest first. */
  'chatrooms.join': ChatroomView & { messages: MessageView[] };
  'chatrooms.leave': { chatroomId: string; left: true };
  'chatrooms.attributes.set': { key: string } & ChatroomAttributeView;
  'chatrooms.attributes.delete': { key: string; deleted: true };
  'chatrooms.attributes.list': { attributes: Record<string, ChatroomAttributeView> };
  'ultraGroups.upsert': { ultraGroupId: string; name: string; memberIds: string[] };
  'ultraGroups.members.add': { ultraGroupId: string; added: string[] };
  'ultraGroups.members.remove': { ultraGroupId: string; removed: string[] };
  'ultraGroups.channels.upsert': { ultraGroupId: string; channelId: string; name: string };
  'messages.send': SendMessageResult;
  'messages.recall': { messageUId: string; recalled: true; isDelete: boolean; recallTime: number };
  'messages.stream': { messageUId: string; seq: number; complete: boolean };
  'message-types.register': { objectName: string; isPersisted: boolean; isCounted: boolean; isStatus: boolean; pushContent: string | null };
  'conversations.list': ConversationPage;
  'conversations.history': HistoryPage;
  'conversations.unreadTotals': { totals: Record<string, number> };
}
