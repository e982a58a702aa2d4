import { canonicalJson, decideIdempotency, fingerprintOf, isRemembered, keyHash } from './idempotency';

describe('decideIdempotency', () => {
  const t = { ttlMs: 1000, abandonedMs: 100 };
  const done = { state: 'done' as const, fingerprint: 'f', at: 0, status: 200, body: { ok: 1 } };

  it('runs a new key, a released one and an expired one', () => {
    expect(decideIdempotency(null, 'f', 0, t)).toEqual({ kind: 'run' });
    expect(decideIdempotency({ state: 'released', at: 0 }, 'f', 1, t)).toEqual({ kind: 'run' });
    expect(decideIdempotency(done, 'f', 1000, t)).toEqual({ kind: 'run' });
  });

  it('replays the same request, refuses another one', () => {
    expect(decideIdempotency(done, 'f', 999, t)).toEqual({ kind: 'replay', status: 200, body: { ok: 1 } });
    expect(decideIdempotency(done, 'g', 999, t)).toEqual({ kind: 'reused' });
  });

  it('answers in-flight while the first runs, and frees a key its gateway abandoned', () => {
    const running = { state: 'running' as const, fingerprint: 'f', at: 0 };
    expect(decideIdempotency(running, 'f', 99, t)).toEqual({ kind: 'in-flight' });
    expect(decideIdempotency(running, 'g', 99, t)).toEqual({ kind: 'reused' });
    expect(decideIdempotency(running, 'f', 100, t)).toEqual({ kind: 'run' });
  });
});

describe('what is remembered', () => {
  it('keeps 2xx and 4xx, not 5xx, 408 or 429', () => {
    expect([200, 201, 400, 404, 409, 422].every(isRemembered)).toBe(true);
    expect([408, 429, 500, 503].some(isRemembered)).toBe(false);
  });
});

describe('fingerprints', () => {
  it('ignore key order, not values, routes or methods', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 1 }], a: null })).toBe('{"a":null,"b":[1,{"c":1,"d":2}]}');
    expect(fingerprintOf('POST', '/x', { a: 1, b: 2 })).toBe(fingerprintOf('post', '/x', { b: 2, a: 1 }));
    expect(fingerprintOf('POST', '/x', { a: 1 })).not.toBe(fingerprintOf('POST', '/x', { a: 2 }));
    expect(fingerprintOf('POST', '/x', undefined)).not.toBe(fingerprintOf('POST', '/y', undefined));
    expect(fingerprintOf('POST', '/x', {})).not.toBe(fingerprintOf('PUT', '/x', {}));
  });

  it('scope keys to the credential', () => {
    expect(keyHash('user:a', 'k')).not.toBe(keyHash('user:b', 'k'));
    expect(keyHash('server:', 'k')).toMatch(/^[0-9a-f]{64}$/);
  });
});
