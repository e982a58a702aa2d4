import { Transaction } from 'kysely';
import { changeExpansion } from '../expansions/expansion.store';
import { packetExpansion } from './red-packet.decider';
import { Projection } from '@im/eventstore';
import { loadPacket, packetRef, RedPacketRow } from './red-packet.repository';

/** Mirrors a packet's state into its message's expansion; unchanged keys are not written. */
export async function updatePacketExpansion(
  trx: Transaction<any>,
  p: RedPacketRow,
  state: { claimedCount: number; status: RedPacketRow['status'] },
  now: number,
): Promise<void> {
  if (!p.messageUId) return;
  const wanted = packetExpansion({ count: p.count, totalAmount: p.totalAmount, ...state });
  await changeExpansion(trx, { messageUId: p.messageUId, ref: packetRef(p), operatorId: null, reason: 'red_packet', now }, (current) => {
    const changed = Object.entries(wanted).filter(([k, v]) => current.get(k)?.value !== v);
    const added = changed.filter(([k]) => !current.has(k)).length;
    return {
      cleared: false,
      removed: [],
      set: Object.fromEntries(changed.map(([k, v]) => [k, { value: v, version: (current.get(k)?.version ?? 0) + 1 }])),
      keyCountAfter: current.size + added,
    };
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
    const p = await loadPacket(trx, (event.data as { redPacketId: string }).redPacketId);
    if (!p?.messageUId) return;
    const claimed = p.count - p.remainingCount;
    await updatePacketExpansion(trx as Transaction<any>, p, { claimedCount: claimed, status: p.status }, Date.parse(event.time));
  },
};
