import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
  const limit = { perSecond: 2, burst: 3 };

  it('allows the burst, then refuses with whole seconds to wait', () => {
    const l = new RateLimiter();
    expect([0, 0, 0].map(() => l.take('a', limit, 0).ok)).toEqual([true, true, true]);
    expect(l.take('a', limit, 0)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(l.take('a', { perSecond: 0.1, burst: 3 }, 0)).toEqual({ ok: false, retryAfterSeconds: 10 });
  });

  it('refills at the rate, up to the burst, per caller', () => {
    const l = new RateLimiter();
    for (let i = 0; i < 3; i++) l.take('a', limit, 0);
    expect(l.take('b', limit, 0).ok).toBe(true);
    expect(l.take('a', limit, 500).ok).toBe(true);
    expect(l.take('a', limit, 500).ok).toBe(false);
    expect([1, 2, 3, 4].map(() => l.take('a', limit, 60_000).ok)).toEqual([true, true, true, false]);
  });

  it('gives nothing for a clock moved backwards', () => {
    const l = new RateLimiter();
    for (let i = 0; i < 3; i++) l.take('a', limit, 10_000);
    expect(l.take('a', limit, 0).ok).toBe(false);
  });
});
