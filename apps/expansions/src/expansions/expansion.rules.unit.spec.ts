import { KeyState, planPatch } from './expansion.rules';

const keys = (n: number): Map<string, KeyState> => new Map(Array.from({ length: n }, (_, i) => [`k${i}`, { value: 'v', version: 1, ts: 1 }]));
const setOf = (n: number, from = 0) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`n${from + i}`, 'x']));

describe('planPatch', () => {
  it('allows 20 keys per call for a user, 21 is refused; 100 with the server key, 101 refused', () => {
    expect(() => planPatch(keys(0), { set: setOf(20) }, false)).not.toThrow();
    expect(() => planPatch(keys(0), { set: setOf(21) }, false)).toThrow(expect.objectContaining({ code: 'TOO_MANY_KEYS_PER_CALL', status: 422 }));
    expect(() => planPatch(keys(0), { set: setOf(100) }, true)).not.toThrow();
    expect(() => planPatch(keys(0), { set: setOf(101) }, true)).toThrow(expect.objectContaining({ code: 'TOO_MANY_KEYS_PER_CALL' }));
  });

  it('allows reaching 300 keys per message and refuses 301 whole', () => {
    expect(planPatch(keys(280), { set: setOf(20) }, false).keyCountAfter).toBe(300);
    expect(() => planPatch(keys(281), { set: setOf(20) }, false)).toThrow(expect.objectContaining({ code: 'EXPANSION_KEY_LIMIT', status: 422 }));
    // Removing in the same call makes room; overwriting an existing key does not add one.
    expect(planPatch(keys(300), { set: setOf(1), remove: ['k0'] }, false).keyCountAfter).toBe(300);
    expect(planPatch(keys(300), { set: { k5: 'new' } }, false).set.k5).toEqual({ value: 'new', version: 2 });
  });

  it('compares and sets on expected versions, reporting the current values when stale', () => {
    const current = new Map([['open', { value: 'false', version: 3, ts: 7 }]]);
    expect(planPatch(current, { set: { open: 'true' }, expectedVersions: { open: 3 } }, false).set.open.version).toBe(4);
    expect(() => planPatch(current, { set: { open: 'true' }, expectedVersions: { open: 2 } }, false)).toThrow(
      expect.objectContaining({ code: 'EXPANSION_VERSION_CONFLICT', status: 409, details: { current: { open: { v: 'false', version: 3, ts: 7 } } } }),
    );
    expect(planPatch(current, { set: { fresh: '1' }, expectedVersions: { fresh: 0 } }, false).set.fresh.version).toBe(1);
    expect(() => planPatch(current, { set: { open: 'x' }, expectedVersions: { open: 0 } }, false)).toThrow(expect.objectContaining({ status: 409 }));
  });

  it('clears before setting, and ignores removals of missing keys', () => {
    const plan = planPatch(keys(3), { clear: true, set: { a: '1' }, remove: ['k0'] }, false);
    expect(plan).toEqual({ cleared: true, set: { a: { value: '1', version: 1 } }, removed: [], keyCountAfter: 1 });
    expect(planPatch(keys(1), { remove: ['zzz'] }, false).removed).toEqual([]);
  });
});
