import { assertCreatable, decideClaim, decideExpiry, packetExpansion, RedPacketState } from './red-packet.decider';
import { randomShare } from './split';

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

describe('double-mean split (property)', () => {
  it('always sums to the total, every share at least 1 and at most twice the mean of what remained', () => {
    const rnd = mulberry32(42);
    for (let run = 0; run < 2000; run++) {
      const count = 1 + Math.floor(rnd() * 200);
      const total = count + Math.floor(rnd() * 100_000);
      const random = mulberry32(run);
      let remaining = total;
      let sum = 0;
      for (let left = count; left > 0; left--) {
        const share = randomShare(remaining, left, random);
        expect(share).toBeGreaterThanOrEqual(1);
        if (left > 1) expect(share).toBeLessThanOrEqual((2 * remaining) / left);
        expect(remaining - share).toBeGreaterThanOrEqual(left - 1);
        remaining -= share;
        sum += share;
      }
      expect(sum).toBe(total);
    }
  });

  it('handles the tight edges: one unit per share, and randoms at 0 and just below 1', () => {
    expect(randomShare(5, 5, () => 0.9999999)).toBe(1);
    expect(randomShare(10, 2, () => 0.9999999)).toBe(9);
    expect(randomShare(10, 2, () => 0)).toBe(1);
    expect(randomShare(7, 1, () => 0.5)).toBe(7);
  });
});

const packet = (over: Partial<RedPacketState> = {}): RedPacketState => ({
  id: 'rp_1',
  senderId: 'alice',
  conversationType: 3,
  targetId: 'g',
  mode: 'random',
  currency: 'CNY',
  totalAmount: 100,
  count: 3,
  remainingAmount: 100,
  remainingCount: 3,
  receiverIds: null,
  status: 'unclaimed',
  expiresAt: 10_000,
  ...over,
});
const ctx = (over: Partial<Parameters<typeof decideClaim>[1]> = {}) => ({ userId: 'bob', now: 1_000, existingClaim: null, random: () => 0.5, ...over });

describe('red packet decider', () => {
  it('refuses what cannot be created', () => {
    const base = { conversationType: 3, targetId: 'g', senderId: 'a', totalAmount: 100, count: 3, mode: 'random' as const };
    expect(() => assertCreatable(base)).not.toThrow();
    expect(() => assertCreatable({ ...base, conversationType: 1, count: 2 })).toThrow(expect.objectContaining({ code: 'PRIVATE_PACKET_HAS_ONE_SHARE' }));
    expect(() => assertCreatable({ ...base, mode: 'fixed' })).toThrow(expect.objectContaining({ code: 'AMOUNT_NOT_DIVISIBLE' }));
    expect(() => assertCreatable({ ...base, totalAmount: 2 })).toThrow(expect.objectContaining({ code: 'AMOUNT_TOO_SMALL' }));
    expect(() => assertCreatable({ ...base, conversationType: 6 })).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => assertCreatable({ ...base, receiverIds: ['b'] })).toThrow(expect.objectContaining({ code: 'MORE_SHARES_THAN_RECEIVERS' }));
  });

  it('gives equal shares in fixed mode and completes on the last', () => {
    let p = packet({ mode: 'fixed', totalAmount: 90, remainingAmount: 90 });
    const shares: number[] = [];
    for (const userId of ['a', 'b', 'c']) {
      const d = decideClaim(p, ctx({ userId }));
      shares.push(d.amount);
      p = { ...p, remainingAmount: d.remainingAmount, remainingCount: d.remainingCount, status: d.status };
    }
    expect(shares).toEqual([30, 30, 30]);
    expect(p).toMatchObject({ remainingAmount: 0, remainingCount: 0, status: 'claimed' });
    expect(() => decideClaim(p, ctx({ userId: 'd' }))).toThrow(expect.objectContaining({ code: 'RED_PACKET_EXHAUSTED', status: 409 }));
  });

  it('refuses a second claim, an expired packet, and strangers to private or exclusive packets', () => {
    expect(() => decideClaim(packet(), ctx({ existingClaim: { amount: 5, claimedAt: 1 } }))).toThrow(
      expect.objectContaining({ code: 'ALREADY_CLAIMED', details: { amount: 5, claimedAt: 1 } }),
    );
    expect(() => decideClaim(packet(), ctx({ now: 10_000 }))).toThrow(expect.objectContaining({ code: 'RED_PACKET_EXPIRED', status: 410 }));
    expect(() => decideClaim(packet({ conversationType: 1, targetId: 'bob', count: 1 }), ctx({ userId: 'alice' }))).toThrow(expect.objectContaining({ status: 403 }));
    expect(() => decideClaim(packet({ receiverIds: ['carol'] }), ctx())).toThrow(expect.objectContaining({ code: 'NOT_A_RECEIVER' }));
  });

  it('refunds the rest once at expiry, and nothing for a finished packet', () => {
    expect(decideExpiry(packet({ remainingAmount: 40, status: 'partial' }), 10_000)).toEqual({ refund: 40 });
    expect(decideExpiry(packet(), 9_999)).toBeNull();
    expect(decideExpiry(packet({ status: 'claimed', remainingAmount: 0 }), 20_000)).toBeNull();
    expect(decideExpiry(packet({ status: 'expired' }), 20_000)).toBeNull();
  });

  it('describes itself in the message expansion with string values', () => {
    expect(packetExpansion({ count: 5, totalAmount: 500, claimedCount: 5, status: 'claimed' })).toEqual({
      open: 'true',
      count: '5',
      amount: '500',
      claimed: '5',
      status: 'claimed',
    });
  });
});
