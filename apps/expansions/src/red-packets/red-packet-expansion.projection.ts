import { defineProjection } from '@im/eventstore';
import { Transaction } from 'kysely';
import { fromRow, mirrorExpansion } from './red-packet.store';
import type { DB } from '../db.generated';

/**
 * The expansion of a packet's message once its message is known, and after a refund: mirrored
 * from the packet's row (`mirrorExpansion`). Claims mirror it themselves, in their own
 * transaction (`claimBatch`); so that an earlier state read here cannot overwrite a later
 * claim's, the row is read under a share lock, taken in the claims' order (packet, then the
 * message's expansion head).
 */
export const packetExpansionProjection = defineProjection({
  name: 'packet_expansions',
  sources: ['expansions'],
  tables: [],
  handles: ['redpacket.refunded', 'redpacket.message.sent'],
  async apply(trx, event) {
    const t = trx as Transaction<DB>;
    const row = await t.selectFrom('red_packets').selectAll().where('red_packet_id', '=', event.data.redPacketId).forShare().executeTakeFirst();
    if (row) await mirrorExpansion(t, fromRow(row), Date.parse(event.time));
  },
});
