import { z } from 'zod';
import { MessageUId } from './ids';

/** Request schemas of the read-receipt endpoints (gateway edge and receipts service edge). */

/** Most message ids one call may name: a screenful of history, as in the seeds' SDK calls. */
export const MAX_RECEIPT_MESSAGES = 100;
/** Largest page of a message's readers. */
export const MAX_READERS_PAGE = 200;

/** `POST /v1/conversations/{type}/{targetId}/read`: without `seq`, up to the latest message. */
export const MarkReadBody = z.strictObject({
  seq: z.number().int().positive().optional(),
});

/** `POST /v1/receipts`: the caller has read exactly these messages. */
export const SendReceiptsBody = z.strictObject({
  messageUIds: z.array(MessageUId).min(1).max(MAX_RECEIPT_MESSAGES),
});

/** `GET /v1/receipts?messageUIds=a,b,c`: comma-separated, as a query string carries them. */
export const ReceiptsQuery = z.strictObject({
  messageUIds: z
    .string()
    .transform((s) => s.split(',').filter((x) => x !== ''))
    .pipe(z.array(MessageUId).min(1).max(MAX_RECEIPT_MESSAGES)),
});

export const ReadersFilter = z.enum(['read', 'unread']);

/** `GET /v1/messages/{messageUId}/readers`: `cursor` is the opaque `nextCursor` of the last page. */
export const ReadersQuery = z.strictObject({
  filter: ReadersFilter.default('read'),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_READERS_PAGE).default(100),
});

/** `PUT /v1/users/me/settings`. */
export const UserSettingsBody = z.strictObject({
  readReceipts: z.boolean(),
});

/** The receipt of one of the caller's own messages: counts in groups, the peer's state in private. */
export type ReceiptSummary =
  | { messageUId: string; conversationType: number; targetId: string; readCount: number; unreadCount: number }
  | { messageUId: string; conversationType: number; targetId: string; isPeerRead: boolean; timestamp: number | null };
