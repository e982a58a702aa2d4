import { AppError, Errors } from '@im/contracts';
import { nextShare } from './split';

/**
 * The red packet aggregate's rules as pure functions: state in, events out, time and
 * randomness passed in. The service loads the state under a row lock and stores the result.
 */
export type RedPacketStatus = 'unclaimed' | 'partial' | 'claimed' | 'expired';

export interface RedPacketState {
  id: string;
  senderId: string;
  conversationType: number;
  targetId: string;
  mode: 'random' | 'fixed';
  currency: string;
  totalAmount: number;
  count: number;
  remainingAmount: number;
  remainingCount: number;
  receiverIds: string[] | null;
  status: RedPacketStatus;
  expiresAt: number;
}

export interface CreateCommand {
  conversationType: number;
  targetId: string;
  senderId: string;
  totalAmount: number;
  count: number;
  mode: 'random' | 'fixed';
  receiverIds?: string[];
}

/** What a packet must be to be created; membership of receivers is checked by the caller. */
export function assertCreatable(c: CreateCommand): void {
  if (c.conversationType !== 1 && c.conversationType !== 3) {
    throw Errors.unprocessable('CONVERSATION_TYPE_NOT_SUPPORTED', 'red packets go into private (1) or group (3) conversations');
  }
  if (c.conversationType === 1 && c.count !== 1) {
    throw Errors.unprocessable('PRIVATE_PACKET_HAS_ONE_SHARE', 'a red packet in a private conversation has exactly one share');
  }
  if (c.conversationType === 1 && c.receiverIds && c.receiverIds.some((id) => id !== c.targetId)) {
    throw Errors.unprocessable('RECEIVER_NOT_MEMBER', 'a private red packet is for the peer only');
  }
  if (c.totalAmount < c.count) throw Errors.unprocessable('AMOUNT_TOO_SMALL', 'every share is at least 1 minor unit');
  if (c.mode === 'fixed' && c.totalAmount % c.count !== 0) {
    throw Errors.unprocessable('AMOUNT_NOT_DIVISIBLE', 'a fixed packet splits its total into equal whole shares');
  }
  if (c.receiverIds && c.count > c.receiverIds.length) {
    throw Errors.unprocessable('MORE_SHARES_THAN_RECEIVERS', 'an exclusive packet has at most one share per receiver');
  }
}

export interface ClaimContext {
  userId: string;
  now: number;
  existingClaim: { amount: number; claimedAt: number } | null;
  random: () => number;
}

export interface ClaimDecision {
  amount: number;
  remainingAmount: number;
  remainingCount: number;
  status: RedPacketStatus;
  completed: boolean;
}

/** Who may claim: in a private conversation the receiver only, in an exclusive packet its receivers. */
export function assertMayClaim(p: RedPacketState, userId: string): void {
  if (p.conversationType === 1 && userId !== p.targetId) throw Errors.forbidden('only the receiver may claim this red packet');
  if (p.receiverIds && !p.receiverIds.includes(userId)) throw new AppError('NOT_A_RECEIVER', 403, 'this red packet is for its receivers only');
}

export function decideClaim(p: RedPacketState, c: ClaimContext): ClaimDecision {
  assertMayClaim(p, c.userId);
  if (c.existingClaim) throw Errors.conflict('ALREADY_CLAIMED', 'you already claimed this red packet', c.existingClaim);
  if (p.status === 'expired' || c.now >= p.expiresAt) throw new AppError('RED_PACKET_EXPIRED', 410, 'the red packet has expired');
  if (p.remainingCount === 0) throw Errors.conflict('RED_PACKET_EXHAUSTED', 'every share has been claimed');
  const amount = nextShare(p.mode, p, c.random);
  const remainingCount = p.remainingCount - 1;
  return {
    amount,
    remainingAmount: p.remainingAmount - amount,
    remainingCount,
    status: remainingCount === 0 ? 'claimed' : 'partial',
    completed: remainingCount === 0,
  };
}

/** Expiry refunds the unclaimed rest once; a finished or already expired packet has nothing to do. */
export function decideExpiry(p: RedPacketState, now: number): { refund: number } | null {
  if (p.status === 'claimed' || p.status === 'expired' || now < p.expiresAt) return null;
  return { refund: p.remainingAmount };
}

/** The expansion the packet's message carries: all values are strings. */
export function packetExpansion(p: { count: number; totalAmount: number; claimedCount: number; status: RedPacketStatus }): Record<string, string> {
  return {
    open: p.status === 'claimed' ? 'true' : 'false',
    count: String(p.count),
    amount: String(p.totalAmount),
    claimed: String(p.claimedCount),
    status: p.status,
  };
}
