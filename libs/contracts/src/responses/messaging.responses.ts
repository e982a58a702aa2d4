import { z } from 'zod';
import type { ConversationPage, HistoryPage, MessageView as MessageViewType, MessagingReplies } from '../rpc/messaging.rpc';
import { mirror } from './mirror';
import { ReceiptOfMessage } from './receipts.responses';

/** Reply schemas of the messaging routes, one per reply type in `rpc/messaging.rpc.ts`. */
export const UserView = mirror<MessagingReplies['users.get']>()(z.object({ userId: z.string(), name: z.string(), portrait: z.string().nullable() }).meta({ id: 'User' }));

export const BatchUpsertUsersResult = mirror<MessagingReplies['users.upsertMany']>()(
  z.object({ users: z.array(UserView), changed: z.number().int().describe('how many profiles were new or different') }),
);

export const GroupView = mirror<MessagingReplies['groups.upsert']>()(z.object({ groupId: z.string(), name: z.string(), memberIds: z.array(z.string()) }).meta({ id: 'Group' }));

export const MembersAddedResult = mirror<MessagingReplies['groups.members.add']>()(z.object({ groupId: z.string(), added: z.array(z.string()) }));

export const MembersRemovedResult = mirror<MessagingReplies['groups.members.remove']>()(z.object({ groupId: z.string(), removed: z.array(z.string()) }));

export const UltraGroupView = mirror<MessagingReplies['ultraGroups.upsert']>()(
  z.object({ ultraGroupId: z.string(), name: z.string(), memberIds: z.array(z.string()) }).meta({ id: 'UltraGroup' }),
);

export const UltraGroupMembersAddedResult = mirror<MessagingReplies['ultraGroups.members.add']>()(
  z.object({ ultraGroupId: z.string(), added: z.array(z.string()) }),
);

export const UltraGroupMembersRemovedResult = mirror<MessagingReplies['ultraGroups.members.remove']>()(
  z.object({ ultraGroupId: z.string(), removed: z.array(z.string()) }),
);

export const UltraGroupChannelView = mirror<MessagingReplies['ultraGroups.channels.upsert']>()(
  z.object({ ultraGroupId: z.string(), channelId: z.string(), name: z.string() }).meta({ id: 'UltraGroupChannel' }),
);

export const SendMessageResult = mirror<MessagingReplies['messages.send']>()(
  z.object({
    messageUId: z.string(),
    seq: z.number().int().nullable().describe('null for a message that is not stored (a command or status message)'),
    sentTime: z.number().int(),
  }),
);

export const RecallResult = mirror<MessagingReplies['messages.recall']>()(
  z.object({ messageUId: z.string(), recalled: z.literal(true), isDelete: z.boolean(), recallTime: z.number().int() }),
);

export const StreamAppendResult = mirror<MessagingReplies['messages.stream']>()(z.object({ messageUId: z.string(), seq: z.number().int(), complete: z.boolean() }));

export const MessageTypeView = mirror<MessagingReplies['message-types.register']>()(
  z.object({ objectName: z.string(), isPersisted: z.boolean(), isCounted: z.boolean(), isStatus: z.boolean(), pushContent: z.string().nullable() }),
);

const messageFields = {
  messageUId: z.string(),
  seq: z.number().int().nullable(),
  conversationType: z.number().int(),
  targetId: z.string(),
  senderId: z.string(),
  objectName: z.string(),
  content: z.record(z.string(), z.unknown()),
  sentTime: z.number().int(),
  needReadReceipt: z.boolean(),
  canIncludeExpansion: z.boolean(),
  directedUserIds: z.array(z.string()).optional(),
  channelId: z.string().optional().describe('ultra groups only: the channel ("" is the default)'),
  recalled: z.boolean().optional(),
  expansion: z.record(z.string(), z.string()).optional().describe('a plain { key: value } map, on messages sent with canIncludeExpansion'),
};

export const MessageView = mirror<MessageViewType>()(z.object(messageFields).meta({ id: 'Message' }));

export const ConversationView = z
  .object({
    conversationType: z.number().int(),
    targetId: z.string(),
    channelId: z.string().optional().describe('ultra groups only: each channel is its own row ("" is the default)'),
    lastMessage: MessageView.nullable(),
    unreadCount: z.number().int(),
    mentionedCount: z.number().int(),
    readSeq: z.number().int(),
    muted: z.boolean(),
  })
  .meta({ id: 'Conversation' });

export const ConversationPageView = mirror<ConversationPage>()(
  z.object({ conversations: z.array(ConversationView), nextCursor: z.string().nullable().describe('null at the end; pass as cursor to continue') }),
);

/** History adds, to the caller's own messages, their receipt summary (from the receipts service). */
export const HistoryMessageView = z.object({ ...messageFields, receipt: ReceiptOfMessage.optional() }).meta({ id: 'HistoryMessage' });

export const HistoryPageView = mirror<HistoryPage & { messages: Array<z.output<typeof HistoryMessageView>> }>()(
  z.object({
    messages: z.array(HistoryMessageView),
    hasMore: z.boolean(),
    nextBefore: z.number().int().nullable().describe('the before to ask for next, while hasMore'),
  }),
);
