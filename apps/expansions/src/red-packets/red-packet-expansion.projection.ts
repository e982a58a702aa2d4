import { Projection } from '@im/eventstore';
import { Logger } from '@nestjs/common';
import { Transaction } from 'kysely';
import { changeExpansion } from '../expansions/expansion.store';
import { planReactionWrite } from '../expansions/reaction-write';
import { packetExpansion, RedPacket } from './red-packet.decider';
import { packetRef, readPacket } from './red-packet.store';

const logger = new Logger('packet-expansions');

/**
 * Mirrors a packet's state into its message's expansion; unchanged keys are not written.
 *
 * It never meets the per-message key limit: members' PATCHes keep room for the packet's five
 * keys and cannot remove them (`red-packet-keys.ts`), so an update rewrites its own keys or adds
 * one of them inside that room. Should a message still have no room (keys written before those
 * rules existed), the keys that exist are updated and the missing ones that do not fit are left
 * out with a warning: a reaction that failed here would fail forever and stop every packet after it.
 */
export async function updatePacketExpansion(
  trx: Transaction<any>,
  p: RedPacket,
  state: { claimedCount: number; status: RedPacket['status'] },
  now: number,
): Promise<void> {
  if (!p.messageUId) return;
  const messageUId = p.messageUId;
  const wanted = packetExpansion({ count: p.count, totalAmount: p.totalAmount, ...state });
  await changeExpansion(trx, { messageUId, ref: packetRef(p), operatorId: null, reason: 'red_packet', now }, (current) => {
    const { plan, leftOut } = planReactionWrite(current, wanted);
    if (leftOut.length > 0) logger.warn(`${messageUId}: no room for red packet keys ${leftOut.join(', ')}; left out`);
    return plan;
  });
}

/**
 * The expansion of a packet's message follows the packet's events: every claim, the completion
 * and the refund set `claimed`, `status` and `open`. As a reaction (not inside the claim) it keeps
 * the claim's lock short; the packet's row holds the truth, so each event just mirrors it.
 */
export const packetExpansionProjection: Projection = {
  name: 'packet_expansions',
  sources: ['expansions'],
  tables: [],
  async apply(trx, event) {
    if (!['redpacket.claimed', 'redpacket.refunded', 'redpacket.message.sent'].includes(event.type)) return;
    const p = await readPacket(trx, (event.data as { redPacketId: string }).redPacketId);
    if (!p?.messageUId) return;
    const claimed = p.count - p.remainingCount;
    await updatePacketExpansion(trx as Transaction<any>, p, { claimedCount: claimed, status: p.status }, Date.parse(event.time));
  },
};
