import { findUnsafeInput, MAX_INPUT_DEPTH, unsafeStringReason } from './validation';

/** The one walker every edge uses for strings that enter (issue 11). */
describe('findUnsafeInput', () => {
  it('passes ordinary text, emoji (a surrogate pair) and every other control character', () => {
    expect(unsafeStringReason('héllo 😀 \t\n\u0001\uFFFD')).toBeNull();
    expect(findUnsafeInput({ a: ['😀', { b: 1, c: null, d: true }] }, 'body')).toBeNull();
  });

  it('names NUL and lone surrogates (high, low, reversed pair) by their path', () => {
    expect(findUnsafeInput({ a: { b: 'x\u0000' } }, 'body')).toEqual({ path: 'body.a.b', message: expect.stringContaining('NUL') });
    for (const lone of ['\ud83d', '\ude00x', '\ude00\ud83d']) {
      expect(findUnsafeInput({ list: ['ok', lone] }, 'query')).toEqual({ path: 'query.list.1', message: expect.stringContaining('surrogate') });
    }
    expect(findUnsafeInput('\u0000', '')).toEqual({ path: '(root)', message: expect.any(String) });
  });

  it('names a bad object key escaped, so the error carries no NUL itself', () => {
    expect(findUnsafeInput({ content: { ['k\u0000']: 1 } }, 'body')).toEqual({ path: 'body.content.k\\u0000', message: expect.stringContaining('key') });
  });

  it(`refuses nesting deeper than ${MAX_INPUT_DEPTH} levels without recursing`, () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeInput(deep, 'body')).toEqual({ path: expect.stringMatching(/^body(\.0)+$/), message: expect.stringContaining('nested') });
    let ok: unknown = 'x';
    for (let i = 0; i < MAX_INPUT_DEPTH; i++) ok = [ok];
    expect(findUnsafeInput(ok, 'body')).toBeNull();
  });
});
