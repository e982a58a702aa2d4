import { expansionBytes, MAX_EXPANSION_BYTES } from '@im/contracts';
import { KeyState, planPatch } from './expansion.rules';

/** The 64 KB bound on a message's whole expansion (issue 11), measured after the change. */
describe('planPatch: total expansion size', () => {
  const v = 'v'.repeat(4096);
  const state = (entries: Array<[string, string]>): Map<string, KeyState> => new Map(entries.map(([k, value]) => [k, { value, version: 1, ts: 1 }]));
  const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i): [string, string] => [`${prefix}${i}`, v]);

  it('counts the serialized { key: value } JSON', () => {
    expect(expansionBytes([['a', 'é']])).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(MAX_EXPANSION_BYTES).toBe(64 * 1024);
  });

  it('takes a change that stays within 64 KB and refuses one past it whole (413)', () => {
    expect(() => planPatch(state(keys(14)), { set: Object.fromEntries(keys(1, 'n')) }, false)).not.toThrow();
    expect(() => planPatch(state(keys(15)), { set: Object.fromEntries(keys(1, 'n')) }, false)).toThrow(
      expect.objectContaining({ code: 'CONTENT_TOO_LARGE', status: 413, details: { field: 'expansion', limit: MAX_EXPANSION_BYTES } }),
    );
    // Overwriting with a longer value counts the new value, not the old one.
    expect(() => planPatch(state([...keys(15), ['small', 'x']]), { set: { small: v } }, true)).toThrow(expect.objectContaining({ status: 413 }));
  });

  it('lets a change that shrinks an over-limit map through (the red packet may have taken it a few bytes over)', () => {
    const over = state([...keys(15), ['claimed', 'x'.repeat(4000)]]);
    expect(expansionBytes([...over].map(([k, s]) => [k, s.value]))).toBeGreaterThan(MAX_EXPANSION_BYTES);
    expect(planPatch(over, { remove: ['k0'] }, false).removed).toEqual(['k0']);
    expect(() => planPatch(over, { set: { k0: 'shorter' } }, false)).not.toThrow();
    expect(() => planPatch(over, { set: { extra: '1' } }, false)).toThrow(expect.objectContaining({ status: 413 }));
  });
});
