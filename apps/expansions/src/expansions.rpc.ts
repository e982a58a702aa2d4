import { RpcHandlers } from '@im/eventstore';
import { ExpansionsService } from './expansions/expansions.service';
import { ClaimAdmission } from './red-packets/claim-admission';
import { RedPacketsService } from './red-packets/red-packets.service';

/** The thin NATS edge: each method maps one validated request to one call. */
export function expansionsRpc(expansions: ExpansionsService, redPackets: RedPacketsService, claims: ClaimAdmission): RpcHandlers<'expansions'> {
  return {
    'expansions.patch': (r) => expansions.patch(r),
    'expansions.get': (r) => expansions.get(r),
    'redpackets.create': (r) => redPackets.create(r),
    // Admitted first: a burst beyond capacity is refused at once, before any work (claim-admission.ts).
    'redpackets.claim': (r) => claims.run(r.redPacketId, (deadline) => redPackets.claim(r, deadline)),
    'redpackets.get': (r) => redPackets.get(r),
  };
}
