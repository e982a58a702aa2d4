import { z } from 'zod';
import { Actor } from '../api';
import { ConversationTypeSchema, EntityId, MessageUId } from '../ids';
import { MarkReadBody, MAX_RECEIPT_MESSAGES, ReadersQuery, ReceiptSummary, SendReceiptsBody, UserSettingsBody } from '../receipts-api';

/** The request/reply methods of the receipts service, and what they return. */
const MessageUIds = z.array(MessageUId).min(1).max(MAX_RECEIPT_MESSAGES);

export const RECEIPTS_RPC = {
  'conversations.read': z.strictObject({ actor: Actor, conversationType: ConversationTypeSchema, targetId: EntityId, body: MarkReadBody }),
  'receipts.send': z.strictObject({ actor: Actor, body: SendReceiptsBody }),
  'receipts.get': z.strictObject({ actor: Actor, messageUIds: MessageUIds }),
  /** For history: the receipts of those of the caller's messages that collect them; never refuses. */
  'receipts.summaries': z.strictObject({ actor: Actor, messageUIds: z.array(MessageUId).max(MAX_RECEIPT_MESSAGES) }),
  'receipts.request': z.strictObject({ actor: Actor, messageUId: MessageUId }),
  'receipts.readers': z.strictObject({ actor: Actor, messageUId: MessageUId, query: ReadersQuery }),
  'settings.get': z.strictObject({ actor: Actor }),
  'settings.update': z.strictObject({ actor: Actor, body: UserSettingsBody }),
} as const;

export interface ReadPositionView {
  conversationType: number;
  targetId: string;
  /** The caller's position after the call (unchanged when the asked seq was not ahead of it). */
  readSeq: number;
  moved: boolean;
  readTime: number;
}

export interface ReadersPage {
  members: Array<{ userId: string; readAt?: number }>;
  nextCursor: string | null;
  isFinished: boolean;
}

export interface UserSettingsView {
  userId: string;
  readReceipts: boolean;
}

export interface ReceiptsReplies {
  'conversations.read': ReadPositionView;
  'receipts.send': { messageUIds: string[]; readTime: number };
  'receipts.get': { receipts: ReceiptSummary[] };
  'receipts.summaries': { receipts: ReceiptSummary[] };
  'receipts.request': { messageUId: string; needReadReceipt: true; requested: boolean };
  'receipts.readers': ReadersPage;
  'settings.get': UserSettingsView;
  'settings.update': UserSettingsView;
}
