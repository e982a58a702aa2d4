import { z } from 'zod';
import { ChannelId, ConversationTypeSchema, EntityId, MessageUId } from '../ids';
import { define } from './define';

/** The events the expansions service publishes on `im.events.expansions.*`. */
const Conversation = {
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('the target as addressed by the message sender'),
  senderId: EntityId.describe("the message's sender"),
  directedUserIds: z.array(EntityId).optional(),
};

export const ExpansionUpdatedData = z.object({
  messageUId: MessageUId,
  ...Conversation,
  updated: z.record(z.string(), z.string()),
  removed: z.array(z.string()),
  cleared: z.boolean(),
  version: z.number().int().positive().describe("the message expansion's version after this change"),
  operatorId: EntityId.nullable().describe('null for the app backend or the service itself'),
  reason: z.enum(['update', 'initial', 'recalled', 'red_packet']),
});

/** The seed's RC:MsgExMsg content: `del` maps each removed key to the value it had. */
export const MsgExMsgContent = z.object({
  clear: z.union([z.literal(0), z.literal(1)]).describe('1: every key was removed first'),
  put: z.record(z.string(), z.string()).optional().describe('the keys set, with their new values'),
  del: z.record(z.string(), z.string()).optional().describe('the keys removed, with the values they had'),
});

export const UltraGroupExpansionChangedData = z.object({
  messageUId: MessageUId,
  conversationId: z.string(),
  ultraGroupId: EntityId,
  channelId: ChannelId,
  senderId: EntityId.describe("the message's sender"),
  operatorId: EntityId.nullable().describe('null for the app backend or the service itself'),
  objectName: z.literal('RC:MsgExMsg'),
  content: MsgExMsgContent,
  version: z.number().int().positive().describe("the message expansion's version after this change (as in expansion.updated)"),
  changedAt: z.number().int(),
});

export const RedPacketMode = z.enum(['random', 'fixed']);

export const RedPacketCreatedData = z.object({
  redPacketId: z.string(),
  messageUId: MessageUId.nullable(),
  ...Conversation,
  mode: RedPacketMode,
  currency: z.string(),
  totalAmount: z.number().int(),
  count: z.number().int(),
  receiverIds: z.array(EntityId).nullable(),
  greeting: z.string().nullable(),
  expiresAt: z.number().int(),
  paymentId: z.string().nullable().describe('the Idempotency-Key of the creation'),
});

export const RedPacketMessageSentData = z.object({ redPacketId: z.string(), messageUId: MessageUId });

export const RedPacketClaimedData = z.object({
  redPacketId: z.string(),
  messageUId: MessageUId.nullable(),
  ...Conversation,
  userId: EntityId,
  amount: z.number().int().positive(),
  currency: z.string(),
  remainingAmount: z.number().int(),
  remainingCount: z.number().int(),
  claimedAt: z.number().int(),
});

export const RedPacketCompletedData = z.object({
  redPacketId: z.string(),
  messageUId: MessageUId.nullable(),
  ...Conversation,
  totalAmount: z.number().int(),
  currency: z.string(),
  bestLuckUserId: EntityId,
  completedAt: z.number().int(),
});

export const RedPacketRefundedData = z.object({
  redPacketId: z.string(),
  messageUId: MessageUId.nullable(),
  ...Conversation,
  amount: z.number().int().positive().describe('the unclaimed rest, back to the sender'),
  currency: z.string(),
  claimedCount: z.number().int(),
  refundedAt: z.number().int(),
});

export const EXPANSIONS_EVENTS = {
  'expansion.updated': define('expansions', 1, ExpansionUpdatedData, 'A message expansion changed (set, removed or cleared keys).'),
  'ultragroup.expansion.changed': define(
    'expansions',
    1,
    UltraGroupExpansionChangedData,
    "An ultra-group message's expansion changed, as the seed's RC:MsgExMsg for app servers (clients get expansion.updated).",
  ),
  'redpacket.created': define('expansions', 1, RedPacketCreatedData, 'A red packet was paid for and created.'),
  'redpacket.message.sent': define('expansions', 1, RedPacketMessageSentData, "The red packet's app:red_packet message was sent."),
  'redpacket.claimed': define('expansions', 1, RedPacketClaimedData, 'A share was claimed: credit the user.'),
  'redpacket.completed': define('expansions', 1, RedPacketCompletedData, 'The last share was claimed.'),
  'redpacket.refunded': define('expansions', 1, RedPacketRefundedData, 'The packet expired: refund the unclaimed rest to the sender.'),
} as const;
