import { Transaction } from 'kysely';
import { changeExpansion } from '../expansions/expansion.store';
import { packetExpansion } from './red-packet.decider';
import { packetRef, RedPacketRow } from './red-packet.repository';

/** Mirrors the packet's state into its message's expansion (when the message exists). */
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
