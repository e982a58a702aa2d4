import { RpcHandlers } from '@im/eventstore';
import { ExpansionsService } from './expansions/expansions.service';
import { RedPacketsService } from './red-packets/red-packets.service';

/** The thin NATS edge: each method maps one validated request to one call. */
export function expansionsRpc(expansions: ExpansionsService, redPackets: RedPacketsService): RpcHandlers<'expansions'> {
  return {
    'expansions.patch': (r) => expansions.patch(r),
    'expansions.get': (r) => expansions.get(r),
    'redpackets.create': (r) => redPackets.create(r),
    'redpackets.claim': (r) => redPackets.claim(r),
    'redpackets.get': (r) => redPackets.get(r),
  };
}
