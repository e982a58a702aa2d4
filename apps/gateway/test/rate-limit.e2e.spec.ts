import { ApiClient, ApiResponse, createTestEnv, startStack, TestEnv, TestStack } from '@im/stack';

/** Rate limits per credential, with low limits passed as config and the gateway's clock moved. */
describe('rate limits e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, {
      only: ['messaging'],
      clock,
      // One token per 10 s: nothing refills by itself while the test runs.
      gateway: { rateLimitUserPerSecond: 0.1, rateLimitUserBurst: 3, rateLimitServerPerSecond: 0.1, rateLimitServerBurst: 10 },
    });
    api = stack.api;
    for (const id of ['alice', 'bob']) {
      await api.put(`/v1/users/${id}`, { name: id });
      tokens[id] = (await api.post(`/v1/users/${id}/token`, {})).body.token;
    }
  });

  afterAll(async () => {
    await stack?.close();
    await env?.dispose();
  });

  const expectLimited = (r: ApiResponse) => {
    expect([r.status, r.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    const retryAfter = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 10).toBe(true);
    return retryAfter;
  };

  it("limits each user token's user on its own, answering 429 with Retry-After, until it refills", async () => {
    const list = (user: string) => api.get('/v1/conversations', { token: tokens[user] });
    for (let i = 0; i < 3; i++) expect((await list('alice')).status).toBe(200);
    const wait = expectLimited(await list('alice'));
    // Another user, and the server key, have buckets of their own.
    expect((await list('bob')).status).toBe(200);
    expect((await api.get('/v1/conversations', { as: 'alice' })).status).toBe(200);
    // Not limited at all: health and docs.
    for (let i = 0; i < 5; i++) {
      expect((await api.get('/health', { anonymous: true })).status).not.toBe(429);
      expect((await api.get('/docs/openapi.json', { anonymous: true })).status).toBe(200);
    }
    offsetMs += wait * 1000;
    expect((await list('alice')).status).toBe(200);
    expectLimited(await list('alice'));
  });

  it('limits the server key as one caller, whatever X-User-Id, and never remembers a 429 for an Idempotency-Key', async () => {
    const send = (as: string) => api.sendText(as, 1, as === 'alice' ? 'bob' : 'alice', 'hi', {}, { headers: { 'idempotency-key': `k-${as}` } });
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 12 && !limited; i++) {
      const r = await api.get('/v1/conversations', { as: i % 2 ? 'alice' : 'bob' });
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(200);
    }
    expect(limited).toBeDefined();
    const wait = expectLimited(await send('alice'));
    offsetMs += wait * 1000;
    const ran = await send('alice');
    expect([ran.status, ran.headers.get('idempotent-replayed')]).toEqual([201, null]);
  });
});
