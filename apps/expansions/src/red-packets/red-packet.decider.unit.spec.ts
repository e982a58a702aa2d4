import { AppError } from '@im/contracts';
import {
  bestLuckOf,
  ClaimOutcome,
  CreateRedPacket,
  decide,
  decideClaims,
  evolve,
  initialState,
  packetExpansion,
  randomShare,
  RedPacketCommand,
  RedPacketEvent,
  RedPacketState,
} from './red-packet.decider';

/** A small seeded generator so property runs are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const now = 1_000;
const create = (over: Partial<CreateRedPacket> = {}): CreateRedPacket => ({
  type: 'create',
  redPacketId: 'rp_1',
  senderId: 'alice',
  conversationId: '3:g',
  conversationType: 3,
  targetId: 'g',
  mode: 'random',
  currency: 'CNY',
  totalAmount: 100,
  count: 3,
  ttlSeconds: 9,
  paymentId: 'pay-1',
  ...over,
});

/** given these events, when the command (at `at`, drawing from `random`), then the events or the refusal. */
const given = (...events: RedPacketEvent[]): RedPacketState => events.reduce(evolve, initialState());
const when = (state: RedPacketState, command: RedPacketCommand, at = now, random = () => 0.5) =>
  decide(command, state, { now: at, random });
function refusal(state: RedPacketState, command: RedPacketCommand, at = now): { code: string; status: number; details?: unknown } {
  try {
    when(state, command, at);
  } catch (e) {
    if (e instanceof AppError) return { code: e.code, status: e.status, ...(e.details ? { details: e.details } : {}) };
    throw e;
  }
  throw new Error('expected a refusal');
}
/** The events of a packet created (expiring at 10,000) and claimed by each user in turn. */
function history(over: Partial<CreateRedPacket>, claimers: string[], random = () => 0.5): RedPacketEvent[] {
  const events = when(initialState(), create(over));
  for (const [i, userId] of claimers.entries()) events.push(...when(given(...events), { type: 'claim', userId }, now + i, random));
  return events;
}
const claim = (userId: string): RedPacketCommand => ({ type: 'claim', userId });

describe('red packet decider: create', () => {
  it('given nothing, when created, then redpacket.created expiring after its ttl, and the packet is unclaimed with all of it left', () => {
    const [e] = when(initialState(), create({ greeting: 'hi' }));
    expect(e).toEqual({
      type: 'redpacket.created',
      data: {
        ...{ redPacketId: 'rp_1', messageUId: null, conversationId: '3:g', conversationType: 3, targetId: 'g', senderId: 'alice' },
        ...{
          mode: 'random',
          currency: 'CNY',
          totalAmount: 100,
          count: 3,
          receiverIds: null,
          greeting: 'hi',
          expiresAt: 10_000,
          paymentId: 'pay-1',
        },
      },
    });
    expect(given(e).packet).toMatchObject({ status: 'unclaimed', remainingAmount: 100, remainingCount: 3, refundedAmount: 0 });
    expect(given(e).version).toBe(1);
  });

  it('given a packet, when created again, then nothing', () => {
    expect(when(given(...history({}, [])), create())).toEqual([]);
  });

  it('given nothing, when what cannot be paid out is created, then 422 with the reason', () => {
    const codeOf = (over: Partial<CreateRedPacket>) => refusal(initialState(), create(over)).code;
    expect(codeOf({ conversationType: 1, targetId: 'bob', count: 2 })).toBe('PRIVATE_PACKET_HAS_ONE_SHARE');
    expect(codeOf({ conversationType: 1, targetId: 'bob', count: 1, receiverIds: ['carol'] })).toBe('RECEIVER_NOT_MEMBER');
    expect(codeOf({ mode: 'fixed' })).toBe('AMOUNT_NOT_DIVISIBLE');
    expect(codeOf({ totalAmount: 2 })).toBe('AMOUNT_TOO_SMALL');
    expect(codeOf({ conversationType: 6 })).toBe('CONVERSATION_TYPE_NOT_SUPPORTED');
    expect(codeOf({ receiverIds: ['b'] })).toBe('MORE_SHARES_THAN_RECEIVERS');
    expect(refusal(initialState(), create({ totalAmount: 2 })).status).toBe(422);
  });
});

describe('red packet decider: its message', () => {
  it('given a packet, when its message is recorded, then redpacket.message.sent; recorded again, then nothing', () => {
    const state = given(...history({}, []));
    const events = when(state, { type: 'recordMessage', messageUId: 'M1' });
    expect(events).toEqual([{ type: 'redpacket.message.sent', data: { redPacketId: 'rp_1', messageUId: 'M1' } }]);
    expect(when(given(...history({}, []), ...events), { type: 'recordMessage', messageUId: 'M2' })).toEqual([]);
  });

  it('given no packet, when claimed, recorded or expired, then 404', () => {
    for (const c of [claim('bob'), { type: 'recordMessage', messageUId: 'M' } as const, { type: 'expire', force: true } as const]) {
      expect(refusal(initialState(), c)).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    }
  });
});

describe('red packet decider: claims', () => {
  it('given a fixed packet, when three claim, then equal shares, partial until the last, which completes it', () => {
    const events = history({ mode: 'fixed', totalAmount: 90 }, ['a', 'b']);
    expect(given(...events).packet).toMatchObject({ status: 'partial', remainingAmount: 30, remainingCount: 1 });
    const last = when(given(...events), claim('c'), now + 5);
    expect(last.map((e) => e.type)).toEqual(['redpacket.claimed', 'redpacket.completed']);
    expect(last[0].data).toMatchObject({ userId: 'c', amount: 30, remainingAmount: 0, remainingCount: 0, claimedAt: now + 5 });
    expect(given(...events, ...last).packet).toMatchObject({ status: 'claimed', remainingAmount: 0, remainingCount: 0 });
  });

  it('given a random packet, when claimed with an injected random, then the double-mean share', () => {
    // 100 left in 3 shares: at most 2 * 100 / 3 = 66; random 0.5 draws 1 + floor(0.5 * 66) = 34.
    expect(when(given(...history({}, [])), claim('bob'), now, () => 0.5)[0].data).toMatchObject({ amount: 34, remainingAmount: 66 });
    expect(when(given(...history({}, [])), claim('bob'), now, () => 0)[0].data).toMatchObject({ amount: 1 });
  });

  it('given every share claimed, then the money is exact: the shares add up to the total', () => {
    const events = history({ totalAmount: 1_000, count: 7 }, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], mulberry32(7));
    const shares = events.flatMap((e) => (e.type === 'redpacket.claimed' ? [e.data.amount] : []));
    expect(shares.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(given(...events).packet).toMatchObject({ status: 'claimed', remainingAmount: 0 });
  });

  it('given the last share claimed, then the completion names the biggest share as best luck, the earlier on a tie', () => {
    const draws = [0.1, 0.9, 0];
    const events = history({ totalAmount: 100 }, ['a', 'b', 'c'], () => draws.shift()!);
    expect(events.flatMap((e) => (e.type === 'redpacket.claimed' ? [e.data.amount] : []))).toEqual([7, 83, 10]);
    const completed = events.find((e) => e.type === 'redpacket.completed');
    expect(completed?.data).toMatchObject({ bestLuckUserId: 'b', totalAmount: 100, completedAt: now + 2 });
    expect(
      bestLuckOf([
        { userId: 'z', amount: 5, claimedAt: 1 },
        { userId: 'a', amount: 5, claimedAt: 2 },
      ]),
    ).toEqual({ userId: 'z', amount: 5 });
    expect(
      bestLuckOf([
        { userId: 'z', amount: 5, claimedAt: 1 },
        { userId: 'a', amount: 5, claimedAt: 1 },
      ]),
    ).toEqual({ userId: 'a', amount: 5 });
  });

  it('given a claim by bob, when bob claims again, then 409 ALREADY_CLAIMED with his share', () => {
    const state = given(...history({}, ['bob']));
    expect(refusal(state, claim('bob'))).toEqual({ code: 'ALREADY_CLAIMED', status: 409, details: { amount: 34, claimedAt: now } });
  });

  it('given every share claimed, when another claims, then 409 RED_PACKET_EXHAUSTED', () => {
    expect(refusal(given(...history({ count: 2 }, ['a', 'b'])), claim('c'))).toMatchObject({ code: 'RED_PACKET_EXHAUSTED', status: 409 });
  });

  it('given a packet past its time or refunded, when claimed, then 410 RED_PACKET_EXPIRED', () => {
    expect(refusal(given(...history({}, [])), claim('bob'), 10_000)).toMatchObject({ code: 'RED_PACKET_EXPIRED', status: 410 });
    const refunded = history({}, []);
    refunded.push(...when(given(...refunded), { type: 'expire', force: true }));
    expect(refusal(given(...refunded), claim('bob'))).toMatchObject({ code: 'RED_PACKET_EXPIRED', status: 410 });
  });

  it('given a private packet, when anyone but the peer claims, then 403; an exclusive one, a non-receiver, then NOT_A_RECEIVER', () => {
    const direct = given(...history({ conversationType: 1, targetId: 'bob', count: 1 }, []));
    expect(refusal(direct, claim('alice'))).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    expect(when(direct, claim('bob')).map((e) => e.type)).toEqual(['redpacket.claimed', 'redpacket.completed']);
    const exclusive = given(...history({ receiverIds: ['carol', 'dan', 'eve'] }, []));
    expect(refusal(exclusive, claim('bob'))).toMatchObject({ code: 'NOT_A_RECEIVER', status: 403 });
    expect(when(exclusive, claim('carol'))).toHaveLength(1);
  });
});

describe('red packet decider: claims decided together (group commit)', () => {
  const codeOf = (o: ClaimOutcome) => ('refused' in o ? o.refused.code : 'ok');

  it('given a packet, when a batch claims, then each claim is decided against what the ones before it left, as one by one', () => {
    const claimers = ['a', 'b', 'a', 'c', 'd'];
    const alone = history({ count: 3 }, [], mulberry32(3));
    const together = decideClaims(claimers, given(...alone), { now, random: mulberry32(3) });
    expect(together.outcomes.map(codeOf)).toEqual(['ok', 'ok', 'ALREADY_CLAIMED', 'ok', 'RED_PACKET_EXHAUSTED']);
    // The same events a claim at a time would have made, in order, and the money exact.
    const oneByOne = history({ count: 3 }, ['a', 'b', 'c'], mulberry32(3)).slice(alone.length);
    expect(together.events.map((e) => ({ ...e.data }))).toEqual(oneByOne.map((e) => ({ ...e.data, ...('claimedAt' in e.data ? { claimedAt: now } : {}), ...('completedAt' in e.data ? { completedAt: now } : {}) })));
    const state = together.events.reduce(evolve, given(...alone));
    expect(state.packet).toMatchObject({ status: 'claimed', remainingAmount: 0, remainingCount: 0 });
    const shares = together.events.flatMap((e) => (e.type === 'redpacket.claimed' ? [e.data.amount] : []));
    expect(shares.reduce((x, y) => x + y, 0)).toBe(100);
    expect(together.events.map((e) => e.type)).toEqual(['redpacket.claimed', 'redpacket.claimed', 'redpacket.claimed', 'redpacket.completed']);
  });

  it('given a batch, when admission refuses one (its deadline passed), then it alone is refused and changes nothing', () => {
    const busy = new AppError('CLAIMS_BUSY', 'busy');
    const { outcomes, events } = decideClaims(['a', 'b', 'c'], given(...history({ mode: 'fixed', totalAmount: 90 }, [])), { now, random: () => 0.5 }, (i) => {
      if (i === 1) throw busy;
    });
    expect(outcomes.map(codeOf)).toEqual(['ok', 'CLAIMS_BUSY', 'ok']);
    expect(events.flatMap((e) => (e.type === 'redpacket.claimed' ? [[e.data.userId, e.data.remainingCount]] : []))).toEqual([['a', 2], ['c', 1]]);
  });

  it('given no packet, when a batch claims, then every claim is 404', () => {
    expect(decideClaims(['a', 'b'], initialState(), { now, random: () => 0.5 }).outcomes.map(codeOf)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
  });
});

describe('red packet decider: expiry', () => {
  it('given a partial packet at its time, when expired, then the unclaimed rest is refunded once', () => {
    const events = history({}, ['bob']);
    const refund = when(given(...events), { type: 'expire', force: false }, 10_000);
    expect(refund).toEqual([
      {
        type: 'redpacket.refunded',
        data: {
          redPacketId: 'rp_1',
          messageUId: null,
          conversationId: '3:g',
          conversationType: 3,
          targetId: 'g',
          senderId: 'alice',
          amount: 66,
          currency: 'CNY',
          claimedCount: 1,
          refundedAt: 10_000,
        },
      },
    ]);
    const after = given(...events, ...refund);
    expect(after.packet).toMatchObject({ status: 'expired', refundedAmount: 66 });
    expect(when(after, { type: 'expire', force: true }, 20_000)).toEqual([]);
  });

  it('given a packet before its time, when expired, then nothing; forced (its message was refused), then refunded now', () => {
    const state = given(...history({}, []));
    expect(when(state, { type: 'expire', force: false }, 9_999)).toEqual([]);
    expect(when(state, { type: 'expire', force: true }, 2_000)[0].data).toMatchObject({ amount: 100, claimedCount: 0, refundedAt: 2_000 });
  });

  it('given every share claimed, when expired, then nothing to refund', () => {
    expect(when(given(...history({ count: 1 }, ['bob'])), { type: 'expire', force: false }, 20_000)).toEqual([]);
  });
});

describe('double-mean split (property)', () => {
  it('always sums to the total, every share at least 1 and at most twice the mean of what remained', () => {
    const rnd = mulberry32(42);
    // Violations are collected and asserted once: an expect() per share (200,000 of them) took 20 s.
    const violations: string[] = [];
    for (let run = 0; run < 2000; run++) {
      const count = 1 + Math.floor(rnd() * 200);
      const total = count + Math.floor(rnd() * 100_000);
      const random = mulberry32(run);
      let remaining = total;
      let sum = 0;
      for (let left = count; left > 0; left--) {
        const share = randomShare(remaining, left, random);
        if (share < 1) violations.push(`run ${run}: share ${share} < 1`);
        if (left > 1 && share > (2 * remaining) / left) violations.push(`run ${run}: share ${share} over twice the mean of ${remaining} / ${left}`);
        if (remaining - share < left - 1) violations.push(`run ${run}: ${remaining - share} left for ${left - 1} shares`);
        remaining -= share;
        sum += share;
      }
      if (sum !== total) violations.push(`run ${run}: sum ${sum} != total ${total}`);
    }
    expect(violations).toEqual([]);
  });

  it('handles the tight edges: one unit per share, and randoms at 0 and just below 1', () => {
    expect(randomShare(5, 5, () => 0.9999999)).toBe(1);
    expect(randomShare(10, 2, () => 0.9999999)).toBe(9);
    expect(randomShare(10, 2, () => 0)).toBe(1);
    expect(randomShare(7, 1, () => 0.5)).toBe(7);
  });
});

describe('red packet decider: its message expansion', () => {
  it('describes the packet with string values, open once every share is claimed', () => {
    expect(packetExpansion({ count: 5, totalAmount: 500, claimedCount: 5, status: 'claimed' })).toEqual({
      open: 'true',
      count: '5',
      amount: '500',
      claimed: '5',
      status: 'claimed',
    });
    expect(packetExpansion({ count: 5, totalAmount: 500, claimedCount: 2, status: 'partial' }).open).toBe('false');
  });
});
