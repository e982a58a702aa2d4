import { newEvent } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Transaction } from 'kysely';
import { decideExpiry } from './red-packet.decider';
import { claimsOf, loadPacket } from './red-packet.repository';

/**
 * Expires one packet and refunds its unclaimed rest, exactly once: under the packet's row lock,
 * and only while it is still unclaimed or partial. `force` expires it before its time (its
 * message could not be sent). Returns the refunded amount, or 0.
 */
export async function expirePacket(trx: Transaction<any>, id: string, now: number, force = false): Promise<number> {
  const p = await loadPacket(trx, id, true);
  if (!p) return 0;
  const decision = decideExpiry(p, force ? Math.max(now, p.expiresAt) : now);
  if (!decision) return 0;
  const claimed = (await claimsOf(trx, id)).length;
  await trx
    .updateTable('red_packets')
    .set({ status: 'expired', refunded_amount: decision.refund, version: p.version + 1 })
    .where('red_packet_id', '=', id)
    .execute();
  await appendToStream(
    trx,
    `redpacket-${id}`,
    p.version,
    [
      newEvent('redpacket.refunded', {
        redPacketId: id,
        messageUId: p.messageUId,
        conversationId: p.conversationId,
        conversationType: p.conversationType as 1 | 3,
        targetId: p.targetId,
        senderId: p.senderId,
        amount: decision.refund,
        currency: p.currency,
        claimedCount: claimed,
        refundedAt: now,
      }),
    ],
    new Date(now),
  );
  return decision.refund;
}
