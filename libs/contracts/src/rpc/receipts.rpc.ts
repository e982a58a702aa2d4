/** The request/reply methods of the receipts service, and what they return. */
export const RECEIPTS_RPC = {} as const;

export type ReceiptsReplies = Record<string, never>;
