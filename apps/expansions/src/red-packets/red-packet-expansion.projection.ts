import { defineProjection } from '@im/eventstore';
import { Logger } from '@nestjs/common';
import { Transaction } from 'kysely';
import { leftOut } from '../expansions/expansion.decider';
import { changeExpansion } from '../expansions/expansion.store';
import { packetExpansion } from './red-packet.decider';
import { packetRef, readPacket } from './red-packet.store';
import type { DB } from '../db.generated';

const logger = new Logger('packet-expansions');

/**
 * The expansion of a packet's message follows the packet's events: every claim, the completion
 * and the refund set `claimed`, `status` and `open`; unchanged keys are not written. As a reaction
 * (not inside the claim) it keeps the claim's lock short; the packet's row holds the truth, so
 * each event just mirrors it.
 *
 * It never meets the per-message key limit: members' PATCHes keep room for the packet's five
 * keys and cannot remove them (the expansion decider's reserved keys), so an update rewrites its
 * own keys or adds one of them inside that room. Should a message still have no room (keys
 * written before those rules existed), the keys that exist are updated and the missing ones that
 * do not fit are left out with a warning: a reaction that failed here would fail forever and stop
 * every packet after it.
 */
export const packetExpansionProjection = defineProjection({
  name: 'packet_expansions',
  sources: ['expansions'],
  tables: [],
  handles: ['redpacket.claimed', 'redpacket.refunded', 'redpacket.message.sent'],
  async apply(trx, event) {
    const p = await readPacket(trx, event.data.redPacketId);
    if (!p?.messageUId) return;
    const wanted = packetExpansion({
      count: p.count,
      totalAmount: p.totalAmount,
      claimedCount: p.count - p.remainingCount,
      status: p.status,
    });
    const message = { messageUId: p.messageUId, ref: packetRef(p) };
    const after = await changeExpansion(trx as Transaction<DB>, { type: 'mirrorPacket', message, wanted }, Date.parse(event.time));
    const missing = leftOut(wanted, after);
    if (missing.length > 0) logger.warn(`${p.messageUId}: no room for red packet keys ${missing.join(', ')}; left out`);
  },
});
