/** The request/reply methods of the push service, and what they return. */
export const PUSH_RPC = {} as const;

export type PushReplies = Record<string, never>;
