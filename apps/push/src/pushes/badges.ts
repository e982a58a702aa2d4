import { RpcClient } from '@im/eventstore';

const MAX_USERS_PER_CALL = 500;

/** The badge: each recipient's total unread count, from messaging's conversations projection. */
export class Badges {
  constructor(private readonly rpc: RpcClient) {}

  /** With `after`, messaging counts that message first (it waits briefly for its projection). */
  async totals(userIds: string[], after?: { conversationId: string; seq: number }): Promise<Map<string, number>> {
    const unique = [...new Set(userIds)];
    const out = new Map<string, number>();
    for (let i = 0; i < unique.length; i += MAX_USERS_PER_CALL) {
      const { totals } = await this.rpc.call('messaging', 'conversations.unreadTotals', {
        actor: { userId: null, isServer: true },
        userIds: unique.slice(i, i + MAX_USERS_PER_CALL),
        ...(after ? { after } : {}),
      });
      for (const [u, n] of Object.entries(totals)) out.set(u, n);
    }
    return out;
  }
}
