import { z } from 'zod';
import { ChannelId, ConversationTypeSchema, EntityId, MessageUId } from '../ids';
import { define } from './define';

/** The events the messaging service publishes on `im.events.messaging.*`. */
export const MentionSummary = z.object({
  type: z.union([z.literal(1), z.literal(2)]),
  userIds: z.array(EntityId),
});

export const MessageSentData = z.object({
  messageUId: MessageUId,
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('the target as addressed by the sender (the peer, in private)'),
  senderId: EntityId,
  objectName: z.string(),
  content: z.record(z.string(), z.unknown()),
  seq: z.number().int().positive().nullable().describe('null when the type is not stored'),
  sentTime: z.number().int(),
  isPersisted: z.boolean(),
  isCounted: z.boolean(),
  isStatus: z.boolean(),
  mention: MentionSummary.nullable(),
  pushContent: z.string().optional(),
  pushTitle: z.string().optional(),
  pushData: z.string().optional().describe("the send's custom push payload, carried as the push's data.pushData"),
  disablePush: z.boolean(),
  disablePushTitle: z.boolean(),
  needReadReceipt: z.boolean(),
  canIncludeExpansion: z.boolean(),
  directedUserIds: z.array(EntityId).optional().describe('in a group: only these members (and the sender) get it'),
  expansion: z.record(z.string(), z.string()).optional().describe('the initial expansion, when canIncludeExpansion'),
  channelId: ChannelId.optional().describe('ultra groups only: the channel ("" is the default); conversationId names it too'),
});

export const MessageRecalledData = z.object({
  messageUId: MessageUId,
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId,
  senderId: EntityId,
  seq: z.number().int().positive(),
  objectName: z.string(),
  operatorId: EntityId.nullable().describe('null when the app backend recalled it without naming a user'),
  isAdmin: z.boolean(),
  isDelete: z.boolean(),
  recallTime: z.number().int(),
  pushContent: z.string().optional().describe('replaces "recalled a message" in the recall push'),
  directedUserIds: z.array(EntityId).optional(),
  channelId: ChannelId.optional().describe("ultra groups only: the message's channel"),
});

export const StreamAppendedData = z.object({
  messageUId: MessageUId,
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId,
  senderId: EntityId,
  messageSeq: z.number().int().positive().describe("the message's seq in its conversation"),
  seq: z.number().int().min(2).describe('the chunk number; the first chunk (1) came with message.sent'),
  content: z.string(),
  complete: z.boolean(),
  completeReason: z.number().int().optional(),
  directedUserIds: z.array(EntityId).optional(),
});

export const MessageTypeRegisteredData = z.object({
  objectName: z.string(),
  isPersisted: z.boolean(),
  isCounted: z.boolean(),
  isStatus: z.boolean(),
  pushContent: z.string().nullable(),
});

export const UserUpsertedData = z.object({ userId: EntityId, name: z.string(), portrait: z.string().nullable() });
export const GroupUpsertedData = z.object({ groupId: EntityId, name: z.string() });
export const GroupMembersChangedData = z.object({ groupId: EntityId, userIds: z.array(EntityId).min(1) });

export const ChatroomUpsertedData = z.object({ chatroomId: EntityId, name: z.string() });
export const ChatroomDeletedData = z.object({ chatroomId: EntityId });
export const ChatroomMemberData = z.object({ chatroomId: EntityId, userId: EntityId });
export const ChatroomAttributeChangedData = z.object({
  chatroomId: EntityId,
  type: z.union([z.literal(1), z.literal(2)]).describe("RC:chrmKVNotiMsg's type: 1 set, 2 deleted"),
  key: z.string(),
  value: z.string().describe('the new value (set) or the value it had (deleted)'),
  userId: EntityId.describe('who set it (set) or who deleted it'),
  autoDelete: z.boolean().describe('set: the key goes when its setter leaves'),
  extra: z.string().optional().describe('the notificationExtra of the call'),
  reason: z.enum(['set', 'deleted', 'setter-left']),
  updatedAt: z.number().int(),
});
export const UltraGroupUpsertedData = z.object({ ultraGroupId: EntityId, name: z.string() });
export const UltraGroupMembersChangedData = z.object({ ultraGroupId: EntityId, userIds: z.array(EntityId).min(1) });
export const UltraGroupChannelUpsertedData = z.object({ ultraGroupId: EntityId, channelId: ChannelId, name: z.string() });

export const MESSAGING_EVENTS = {
  'user.upserted': define('messaging', 1, UserUpsertedData, 'A user profile was created or changed.'),
  'group.upserted': define('messaging', 1, GroupUpsertedData, 'A group was created or renamed.'),
  'group.members.added': define('messaging', 1, GroupMembersChangedData, 'Users joined a group.'),
  'group.members.removed': define('messaging', 1, GroupMembersChangedData, 'Users left or were removed from a group.'),
  'ultragroup.upserted': define('messaging', 1, UltraGroupUpsertedData, 'An ultra group was created or renamed.'),
  'ultragroup.members.added': define('messaging', 1, UltraGroupMembersChangedData, 'Users joined an ultra group (every channel of it).'),
  'ultragroup.members.removed': define('messaging', 1, UltraGroupMembersChangedData, 'Users left or were removed from an ultra group.'),
  'ultragroup.channel.upserted': define('messaging', 1, UltraGroupChannelUpsertedData, 'A channel of an ultra group was created or renamed.'),
  'message.sent': define('messaging', 1, MessageSentData, 'A message was accepted (stored or not).'),
  'message.recalled': define('messaging', 1, MessageRecalledData, 'A stored message was recalled (kept as a notice, or deleted).'),
  'message.stream.appended': define('messaging', 1, StreamAppendedData, 'A chunk was appended to a streaming (RC:StreamMsg) message.'),
  'chatroom.upserted': define('messaging', 1, ChatroomUpsertedData, 'A chatroom was created or renamed.'),
  'chatroom.deleted': define('messaging', 1, ChatroomDeletedData, 'A chatroom was deleted (its members and attributes with it).'),
  'chatroom.member.joined': define('messaging', 1, ChatroomMemberData, 'A user joined a chatroom.'),
  'chatroom.member.left': define('messaging', 1, ChatroomMemberData, 'A user left a chatroom.'),
  'chatroom.attribute.changed': define(
    'messaging',
    1,
    ChatroomAttributeChangedData,
    'A chatroom attribute was set or deleted; the chatroom also gets an RC:chrmKVNotiMsg saying so.',
  ),
  'message-type.registered': define('messaging', 1, MessageTypeRegisteredData, 'A custom message type was registered or changed.'),
} as const;
