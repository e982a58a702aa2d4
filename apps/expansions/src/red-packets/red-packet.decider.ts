import { AppError, ConversationType, Errors, EventData, NewEvent } from '@im/contracts';

/**
 * All of a red packet's rules (PRODUCT.md "Red packets"): `decide` turns a command and the state
 * into events or refuses, `evolve` folds an event into the state. Time and randomness come in;
 * nothing is read from the clock or the database here. `red-packet.store.ts` loads the state
 * under the packet's lock, decides, and writes the rows from the events it appends.
 */
export type RedPacketStatus = 'unclaimed' | 'partial' | 'claimed' | 'expired';
export type PacketConversationType = typeof ConversationType.PRIVATE | typeof ConversationType.GROUP;

export interface RedPacket {
  id: string;
  senderId: string;
  conversationId: string;
  conversationType: PacketConversationType;
  targetId: string;
  mode: 'random' | 'fixed';
  currency: string;
  totalAmount: number;
  count: number;
  remainingAmount: number;
  remainingCount: number;
  refundedAmount: number;
  receiverIds: string[] | null;
  greeting: string | null;
  status: RedPacketStatus;
  expiresAt: number;
  messageUId: string | null;
  /** The payer's Idempotency-Key: one payment makes one packet. */
  paymentId: string | null;
}

export interface Claim {
  userId: string;
  amount: number;
  claimedAt: number;
}

/**
 * `claims` holds the claims a command can need, not always all of them: the store loads the
 * claimer's own and, when one share is left, the biggest ones so far (for best luck).
 */
export interface RedPacketState {
  packet: RedPacket | null;
  claims: Map<string, Claim>;
  /** Events in the packet's stream. */
  version: number;
}

export type CreateRedPacket = {
  type: 'create';
  redPacketId: string;
  senderId: string;
  conversationId: string;
  conversationType: number;
  targetId: string;
  mode: 'random' | 'fixed';
  currency: string;
  totalAmount: number;
  count: number;
  receiverIds?: string[];
  greeting?: string;
  ttlSeconds: number;
  paymentId: string | null;
};

export type RedPacketCommand =
  | CreateRedPacket
  | { type: 'recordMessage'; messageUId: string }
  | { type: 'claim'; userId: string }
  /** `force` expires it before its time (its message could not be sent). */
  | { type: 'expire'; force: boolean };

export type RedPacketEvent = Extract<NewEvent, { type: `redpacket.${string}` }>;

export interface DecideContext {
  now: number;
  /** Uniform floats in [0, 1), for random shares. */
  random: () => number;
}

export const initialState = (): RedPacketState => ({ packet: null, claims: new Map(), version: 0 });

export function decide(command: RedPacketCommand, state: RedPacketState, { now, random }: DecideContext): RedPacketEvent[] {
  if (command.type === 'create') return state.packet ? [] : [created(command, now)];
  const p = state.packet;
  if (!p) throw Errors.notFound('red packet');
  switch (command.type) {
    case 'recordMessage':
      return p.messageUId ? [] : [{ type: 'redpacket.message.sent', data: { redPacketId: p.id, messageUId: command.messageUId } }];
    case 'claim':
      return claim(p, state.claims, command.userId, now, random);
    case 'expire':
      return expire(p, command.force ? Math.max(now, p.expiresAt) : now, now);
    default: {
      const _exhaustive: never = command;
      return _exhaustive;
    }
  }
}

/** One claim of a batch: its events, or the refusal that is its answer (the others go on). */
export type ClaimOutcome = { events: RedPacketEvent[] } | { refused: AppError };

/**
 * Claims of one packet decided together, in the order they came (group commit, red-packet.store.ts):
 * each is decided against the state the claims before it left, so the batch decides exactly what
 * the claims one by one would have. A refused claim changes nothing and answers its own refusal;
 * `admit` (the admission's deadline) runs before each claim is decided and may refuse it.
 */
export function decideClaims(
  userIds: string[],
  state: RedPacketState,
  ctx: DecideContext,
  admit: (i: number) => void = () => undefined,
): { outcomes: ClaimOutcome[]; events: RedPacketEvent[] } {
  const events: RedPacketEvent[] = [];
  const outcomes = userIds.map((userId, i): ClaimOutcome => {
    try {
      admit(i);
      const decided = decide({ type: 'claim', userId }, state, ctx);
      state = decided.reduce(evolve, state);
      events.push(...decided);
      return { events: decided };
    } catch (e) {
      if (e instanceof AppError) return { refused: e };
      throw e;
    }
  });
  return { outcomes, events };
}

function created(c: CreateRedPacket, now: number): RedPacketEvent {
  assertCreatable(c);
  const { redPacketId, conversationId, targetId, senderId, mode, currency, totalAmount, count, paymentId } = c;
  const conversationType = c.conversationType as PacketConversationType;
  const expiresAt = now + c.ttlSeconds * 1000;
  const data = { redPacketId, messageUId: null, conversationId, conversationType, targetId, senderId, mode, currency, totalAmount, count };
  return {
    type: 'redpacket.created',
    data: { ...data, receiverIds: c.receiverIds ?? null, greeting: c.greeting ?? null, expiresAt, paymentId },
  };
}

/** What a packet must be to be created; whether its receivers are members is checked by the caller. */
function assertCreatable(c: CreateRedPacket): void {
  const isPrivate = c.conversationType === ConversationType.PRIVATE;
  if (!isPrivate && c.conversationType !== ConversationType.GROUP) {
    throw Errors.unprocessable('CONVERSATION_TYPE_NOT_SUPPORTED', 'red packets go into private (1) or group (3) conversations');
  }
  if (isPrivate && c.count !== 1) {
    throw Errors.unprocessable('PRIVATE_PACKET_HAS_ONE_SHARE', 'a red packet in a private conversation has exactly one share');
  }
  if (isPrivate && c.receiverIds?.some((id) => id !== c.targetId)) {
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

/** One share to the claimer; the last share also completes the packet and names its best luck. */
function claim(p: RedPacket, claims: Map<string, Claim>, userId: string, now: number, random: () => number): RedPacketEvent[] {
  assertMayClaim(p, userId);
  const mine = claims.get(userId);
  if (mine) {
    throw Errors.conflict('ALREADY_CLAIMED', 'you already claimed this red packet', { amount: mine.amount, claimedAt: mine.claimedAt });
  }
  if (p.status === 'expired' || now >= p.expiresAt) throw new AppError('RED_PACKET_EXPIRED', 'the red packet has expired');
  if (p.remainingCount === 0) throw Errors.conflict('RED_PACKET_EXHAUSTED', 'every share has been claimed');
  const amount = nextShare(p, random);
  const conv = conversationOf(p);
  const remaining = { remainingAmount: p.remainingAmount - amount, remainingCount: p.remainingCount - 1 };
  const claimed: RedPacketEvent = {
    type: 'redpacket.claimed',
    data: { redPacketId: p.id, messageUId: p.messageUId, ...conv, userId, amount, currency: p.currency, ...remaining, claimedAt: now },
  };
  if (remaining.remainingCount > 0) return [claimed];
  const best = bestLuckOf([...claims.values(), { userId, amount, claimedAt: now }])!;
  const done = { redPacketId: p.id, messageUId: p.messageUId, ...conv, totalAmount: p.totalAmount, currency: p.currency };
  return [claimed, { type: 'redpacket.completed', data: { ...done, bestLuckUserId: best.userId, completedAt: now } }];
}

/** Who may claim: in a private conversation the receiver only, in an exclusive packet its receivers. */
function assertMayClaim(p: RedPacket, userId: string): void {
  if (p.conversationType === ConversationType.PRIVATE && userId !== p.targetId) {
    throw Errors.forbidden('only the receiver may claim this red packet');
  }
  if (p.receiverIds && !p.receiverIds.includes(userId))
    throw new AppError('NOT_A_RECEIVER', 'this red packet is for its receivers only');
}

/** Expiry refunds the unclaimed rest once; a finished or already expired packet has nothing to do. */
function expire(p: RedPacket, at: number, now: number): RedPacketEvent[] {
  if (p.status === 'claimed' || p.status === 'expired' || at < p.expiresAt) return [];
  const data = { redPacketId: p.id, messageUId: p.messageUId, ...conversationOf(p), amount: p.remainingAmount, currency: p.currency };
  return [{ type: 'redpacket.refunded', data: { ...data, claimedCount: p.count - p.remainingCount, refundedAt: now } }];
}

function conversationOf(p: RedPacket) {
  return { conversationId: p.conversationId, conversationType: p.conversationType, targetId: p.targetId, senderId: p.senderId };
}

export function evolve(state: RedPacketState, event: RedPacketEvent): RedPacketState {
  const next = { ...state, version: state.version + 1 };
  const p = state.packet!;
  switch (event.type) {
    case 'redpacket.created':
      return { ...next, packet: packetOf(event.data) };
    case 'redpacket.message.sent':
      return { ...next, packet: { ...p, messageUId: event.data.messageUId } };
    case 'redpacket.claimed': {
      const { userId, amount, claimedAt, remainingAmount, remainingCount } = event.data;
      const claims = new Map(state.claims).set(userId, { userId, amount, claimedAt });
      return { ...next, claims, packet: { ...p, remainingAmount, remainingCount, status: 'partial' } };
    }
    case 'redpacket.completed':
      return { ...next, packet: { ...p, status: 'claimed' } };
    case 'redpacket.refunded':
      return { ...next, packet: { ...p, status: 'expired', refundedAmount: event.data.amount } };
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

function packetOf(c: EventData<'redpacket.created'>): RedPacket {
  const { redPacketId: id, senderId, conversationId, targetId, mode, currency, totalAmount, count } = c;
  const rest = {
    receiverIds: c.receiverIds,
    greeting: c.greeting,
    expiresAt: c.expiresAt,
    messageUId: c.messageUId,
    paymentId: c.paymentId,
  };
  const conversationType = c.conversationType as PacketConversationType;
  const shares = { remainingAmount: totalAmount, remainingCount: count, refundedAmount: 0, status: 'unclaimed' as const };
  return { id, senderId, conversationId, conversationType, targetId, mode, currency, totalAmount, count, ...shares, ...rest };
}

/** The biggest share; the earlier claim wins a tie (then the smaller user id, for a stable answer). */
export function bestLuckOf(claims: Claim[]): { userId: string; amount: number } | undefined {
  const best = [...claims].sort((a, b) => b.amount - a.amount || a.claimedAt - b.claimedAt || (a.userId < b.userId ? -1 : 1))[0];
  return best ? { userId: best.userId, amount: best.amount } : undefined;
}

/**
 * Share amounts, in minor units. Fixed packets split evenly. Random packets use the double-mean
 * split: each share is at least 1 and at most twice the mean of what remains (and leaves at least
 * 1 for every share still to come); the last share takes the rest.
 */
function nextShare(p: RedPacket, random: () => number): number {
  return p.mode === 'fixed' ? p.totalAmount / p.count : randomShare(p.remainingAmount, p.remainingCount, random);
}

export function randomShare(remainingAmount: number, remainingCount: number, random: () => number): number {
  if (remainingCount <= 0 || remainingAmount < remainingCount) throw new RangeError('nothing left to share');
  if (remainingCount === 1) return remainingAmount;
  const max = Math.min(Math.floor((2 * remainingAmount) / remainingCount), remainingAmount - (remainingCount - 1));
  return Math.min(max, 1 + Math.floor(random() * max));
}

/** The expansion the packet's message carries: all values are strings. */
export function packetExpansion(p: {
  count: number;
  totalAmount: number;
  claimedCount: number;
  status: RedPacketStatus;
}): Record<string, string> {
  return {
    open: p.status === 'claimed' ? 'true' : 'false',
    count: String(p.count),
    amount: String(p.totalAmount),
    claimed: String(p.claimedCount),
    status: p.status,
  };
}
