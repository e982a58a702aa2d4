import { Actor, AppError, RED_PACKET_TYPE } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { packetExpansion, RedPacket } from './red-packet.decider';

/** In the contracts: messaging refuses the packet's keys on this type from anyone but this flow. */
export { RED_PACKET_TYPE };

/**
 * Talks to messaging for the red packet flow: registers `app:red_packet` (stored, counted) and
 * sends the packet's message as its payer, with an idempotency key derived from the packet, so
 * a retry after any failure sends it once.
 */
export class RedPacketMessenger {
  private registered = false;

  constructor(private readonly rpc: RpcClient) {}

  async send(p: RedPacket): Promise<string> {
    await this.ensureRegistered();
    const actor: Actor = { userId: p.senderId, isServer: true };
    const sent = await this.rpc.call('messaging', 'messages.send', {
      actor,
      idempotencyKey: `redpacket:${p.id}`,
      sentFor: 'red-packet',
      body: {
        conversationType: p.conversationType,
        targetId: p.targetId,
        objectName: RED_PACKET_TYPE,
        content: { redPacketId: p.id, greeting: p.greeting ?? '', currency: p.currency, mode: p.mode },
        canIncludeExpansion: true,
        expansion: packetExpansion({ count: p.count, totalAmount: p.totalAmount, claimedCount: 0, status: 'unclaimed' }),
      },
    });
    return sent.messageUId;
  }

  /** Grey-bar notice visible to `userId` only: sent as them, directed to them. */
  async notice(userId: string, conversationType: number, targetId: string, text: string, idempotencyKey: string): Promise<void> {
    await this.rpc.call('messaging', 'messages.send', {
      actor: { userId, isServer: true },
      idempotencyKey,
      body: {
        conversationType: conversationType as 1 | 3,
        targetId,
        objectName: 'RC:InfoNtf',
        content: { message: text },
        directedUserIds: [userId],
      },
    });
  }

  private async ensureRegistered(): Promise<void> {
    if (this.registered) return;
    await this.rpc.call('messaging', 'message-types.register', {
      actor: { userId: null, isServer: true },
      objectName: RED_PACKET_TYPE,
      body: { isPersisted: true, isCounted: true, isStatus: false, pushContent: '[Red Packet]' },
    });
    this.registered = true;
  }
}

/**
 * A refusal from messaging that no retry will change (as opposed to it being unreachable, or
 * busy: 408 and 429 may pass later, and 5xx is messaging's trouble, not the request's).
 * Not push's `isPermanent`, which judges a push provider's HTTP status.
 */
export function messagingRefused(e: unknown): e is AppError {
  return e instanceof AppError && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429;
}
