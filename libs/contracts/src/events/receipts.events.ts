import { z } from 'zod';
import { ConversationTypeSchema, EntityId, MessageUId } from '../ids';
import { define } from './define';

/** The events the receipts service publishes on `im.events.receipts.*`. */
const Reader = {
  userId: EntityId.describe('the reader'),
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('the conversation as the reader addresses it (the peer, in private)'),
};

/** The seed's RC:ReadNtf content: what the peer of a private conversation is told. */
export const ReadNtf = z.object({
  lastMessageSendTime: z.number().int(),
  messageUId: MessageUId.nullable(),
  type: z.literal(1),
});

export const ConversationReadData = z.object({
  ...Reader,
  seq: z.number().int().positive().describe("the reader's new position: every message up to it is read"),
  previousSeq: z.number().int().min(0),
  readTime: z.number().int(),
  lastMessageSendTime: z.number().int().describe("RC:SRSMsg: the send time of the last message read, for the reader's other devices"),
  messageUId: MessageUId.nullable().describe('the last message read, where one is stored at or before seq'),
  type: ConversationTypeSchema.describe('RC:ReadNtf `type`: the conversation type (1 in private)'),
  reported: z.boolean().describe('false when the reader turned read receipts off: tell nobody but the reader'),
  peerId: EntityId.nullable().describe('private: the other user, told with readNtf (null when not reported)'),
  readNtf: ReadNtf.nullable().describe('private and reported: the RC:ReadNtf content for the peer'),
});

export const ReceiptSentData = z.object({
  ...Reader,
  receiptMessageDic: z
    .record(EntityId, z.array(MessageUId))
    .describe('RC:RRRspMsg: sender userId -> the messageUIds of theirs this reader has read'),
  readTime: z.number().int(),
});

export const ReceiptRequestedData = z.object({
  messageUId: MessageUId.describe('RC:RRReqMsg: the message receipts are now collected for'),
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('as addressed by the sender'),
  senderId: EntityId,
  requestTime: z.number().int(),
});

export const ReceiptUpdatedData = z.object({
  messageUId: MessageUId,
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('as addressed by the sender'),
  senderId: EntityId.describe("who is told: the message's sender"),
  readCount: z.number().int().min(0).optional().describe('groups'),
  unreadCount: z.number().int().min(0).optional().describe('groups'),
  isPeerRead: z.boolean().optional().describe('private'),
  timestamp: z.number().int().nullable().optional().describe('private: when the peer read it'),
});

export const UserSettingsUpdatedData = z.object({
  userId: EntityId,
  readReceipts: z.boolean(),
  updatedAt: z.number().int(),
});

export const RECEIPTS_EVENTS = {
  'conversation.read': define(
    'receipts',
    1,
    ConversationReadData,
    "A user's read position moved forward (RC:SRSMsg for their devices; RC:ReadNtf for the private peer when reported).",
  ),
  'receipt.sent': define('receipts', 1, ReceiptSentData, 'A user sent read receipts for messages (RC:RRRspMsg).'),
  'receipt.requested': define('receipts', 1, ReceiptRequestedData, 'A sender turned receipts on for a message already sent (RC:RRReqMsg).'),
  'receipt.updated': define(
    'receipts',
    1,
    ReceiptUpdatedData,
    "A message's receipt changed, for its sender: coalesced, at most one per message per flush.",
  ),
  'user.settings.updated': define('receipts', 1, UserSettingsUpdatedData, 'A user changed their read-receipt setting.'),
} as const;
