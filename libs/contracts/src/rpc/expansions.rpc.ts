import { z } from 'zod';
import { Actor } from '../api';
import { CreateRedPacketBody, PatchExpansionBody, RedPacketId } from '../expansions-api';
import { MessageUId } from '../ids';
import { IdempotencyKey } from './messaging.rpc';

/** The request/reply methods of the expansions service, and what they return. */
export interface ExpansionEntry {
  v: string;
  version: number;
  ts: number;
}

export interface RedPacketView {
  redPacketId: string;
  messageUId: string | null;
  senderId: string;
  conversationType: number;
  targetId: string;
  status: 'unclaimed' | 'partial' | 'claimed' | 'expired';
  mode: 'random' | 'fixed';
  currency: string;
  totalAmount: number;
  count: number;
  remainingAmount: number;
  remainingCount: number;
  greeting: string | null;
  receiverIds: string[] | null;
  expiresAt: number;
  claims: Array<{ userId: string; amount: number; claimedAt: number }>;
  bestLuck?: { userId: string; amount: number };
  myClaim?: { amount: number; claimedAt: number };
}

export const EXPANSIONS_RPC = {
  'expansions.patch': z.strictObject({ actor: Actor, messageUId: MessageUId, body: PatchExpansionBody }),
  'expansions.get': z.strictObject({ actor: Actor, messageUId: MessageUId }),
  'redpackets.create': z.strictObject({ actor: Actor, idempotencyKey: IdempotencyKey, body: CreateRedPacketBody }),
  'redpackets.claim': z.strictObject({ actor: Actor, redPacketId: RedPacketId }),
  'redpackets.get': z.strictObject({ actor: Actor, redPacketId: RedPacketId }),
} as const;

export interface ExpansionsReplies {
  'expansions.patch': Record<string, ExpansionEntry>;
  'expansions.get': Record<string, ExpansionEntry>;
  'redpackets.create': { redPacketId: string; messageUId: string };
  'redpackets.claim': { amount: number; currency: string; remainingCount: number };
  'redpackets.get': RedPacketView;
}
