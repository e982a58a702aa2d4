/** The request/reply methods of the expansions service, and what they return. */
export const EXPANSIONS_RPC = {} as const;

export type ExpansionsReplies = Record<string, never>;
