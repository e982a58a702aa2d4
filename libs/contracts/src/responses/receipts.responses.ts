import { z } from 'zod';
import type { ReceiptSummary as ReceiptSummaryType } from '../receipts-api';
import type { ReceiptsReplies } from '../rpc/receipts.rpc';
import { mirror } from './mirror';

/** Reply schemas of the read-position and receipt routes (`rpc/receipts.rpc.ts`). */
export const ReadPositionView = mirror<ReceiptsReplies['conversations.read']>()(
  z.object({
    conversationType: z.number().int(),
    targetId: z.string(),
    readSeq: z.number().int().describe("the caller's position after the call"),
    moved: z.boolean(),
    readTime: z.number().int(),
  }),
);

export const ReceiptsSent = mirror<ReceiptsReplies['receipts.send']>()(z.object({ messageUIds: z.array(z.string()), readTime: z.number().int() }));

const where = { messageUId: z.string(), conversationType: z.number().int(), targetId: z.string() };

/** Counts in groups, the peer's state in private. */
export const ReceiptSummary = mirror<ReceiptSummaryType>()(
  z
    .union([
      z.object({ ...where, readCount: z.number().int(), unreadCount: z.number().int() }),
      z.object({ ...where, isPeerRead: z.boolean(), timestamp: z.number().int().nullable() }),
    ])
    .meta({ id: 'ReceiptSummary' }),
);

/** The summary history attaches to each of the caller's own messages. */
export const ReceiptOfMessage = z.union([
  z.object({ readCount: z.number().int(), unreadCount: z.number().int() }),
  z.object({ isPeerRead: z.boolean(), timestamp: z.number().int().nullable() }),
]);

export const ReceiptsView = mirror<ReceiptsReplies['receipts.get']>()(z.object({ receipts: z.array(ReceiptSummary) }));

export const ReceiptRequested = mirror<ReceiptsReplies['receipts.request']>()(
  z.object({ messageUId: z.string(), needReadReceipt: z.literal(true), requested: z.boolean().describe('false when receipts were already on') }),
);

export const ReadersPageView = mirror<ReceiptsReplies['receipts.readers']>()(
  z.object({
    members: z.array(z.object({ userId: z.string(), readAt: z.number().int().optional() })),
    nextCursor: z.string().nullable(),
    isFinished: z.boolean(),
  }),
);

export const UserSettingsView = mirror<ReceiptsReplies['settings.get']>()(z.object({ userId: z.string(), readReceipts: z.boolean() }));
