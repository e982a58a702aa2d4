import { z } from 'zod';
import type { ExpansionEntry as ExpansionEntryType, ExpansionsReplies, RedPacketView as RedPacketViewType } from '../rpc/expansions.rpc';
import { mirror } from './mirror';

/** Reply schemas of the expansion and red-packet routes (`rpc/expansions.rpc.ts`). */
export const ExpansionEntry = mirror<ExpansionEntryType>()(z.object({ v: z.string(), version: z.number().int(), ts: z.number().int() }).meta({ id: 'ExpansionEntry' }));

export const ExpansionView = mirror<ExpansionsReplies['expansions.get']>()(
  z.record(z.string(), ExpansionEntry).describe("the message's expansion keys: { key: { v, version, ts } }"),
);

export const RedPacketCreated = mirror<ExpansionsReplies['redpackets.create']>()(z.object({ redPacketId: z.string(), messageUId: z.string() }));

export const RedPacketClaimed = mirror<ExpansionsReplies['redpackets.claim']>()(z.object({ amount: z.number().int(), currency: z.string(), remainingCount: z.number().int() }));

const Claim = z.object({ userId: z.string(), amount: z.number().int(), claimedAt: z.number().int() });

export const RedPacketView = mirror<RedPacketViewType>()(
  z
    .object({
      redPacketId: z.string(),
      messageUId: z.string().nullable(),
      senderId: z.string(),
      conversationType: z.number().int(),
      targetId: z.string(),
      status: z.enum(['unclaimed', 'partial', 'claimed', 'expired']),
      mode: z.enum(['random', 'fixed']),
      currency: z.string(),
      totalAmount: z.number().int(),
      count: z.number().int(),
      remainingAmount: z.number().int(),
      remainingCount: z.number().int(),
      greeting: z.string().nullable(),
      receiverIds: z.array(z.string()).nullable(),
      expiresAt: z.number().int(),
      claims: z.array(Claim),
      bestLuck: z.object({ userId: z.string(), amount: z.number().int() }).optional(),
      myClaim: z.object({ amount: z.number().int(), claimedAt: z.number().int() }).optional(),
    })
    .meta({ id: 'RedPacket' }),
);
