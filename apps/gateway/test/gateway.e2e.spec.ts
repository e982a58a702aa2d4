import { ApiClient, createTestEnv, startStack, TestEnv, TestStack } from '@im/stack';

describe('gateway e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    api = stack.api;
    await api.put('/v1/users/ana', { name: 'Ana' });
  });

  afterAll(async () => {
    await stack?.close();
    await env?.dispose();
  });

  it('documents exactly the routes it serves', async () => {
    const doc = (await api.get('/docs/openapi.json', { anonymous: true })).body;
    expect(doc.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    const served = stack.routes.map((r) => `${r.method} ${r.url}`).filter((r) => !r.includes('/docs')).sort();
    expect(documented).toEqual(served);
    const page = await api.get('/docs', { anonymous: true });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('issues tokens that act as their user, for existing users only', async () => {
    const issued = await api.post('/v1/users/ana/token', { ttlSeconds: 3600 });
    expect(issued.status).toBe(200);
    expect(issued.body.expiresAt).toBeGreaterThan(Date.now() + 3500_000);
    const list = await api.get('/v1/conversations', { token: issued.body.token });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ conversations: [], nextCursor: null });
    expect((await api.post('/v1/users/nobody/token')).status).toBe(404);
    expect((await api.post('/v1/users/ana/token', { ttlSeconds: 'long' })).status).toBe(400);
  });

  it('answers every error in the one JSON shape', async () => {
    const res = await api.get('/v1/no-such-route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    const big = await api.post('/v1/messages', undefined, { as: 'ana', raw: JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('CONTENT_TOO_LARGE');
    const badId = await api.put('/v1/users/has%20space', { name: 'x' });
    expect(badId.status).toBe(400);
    expect(badId.body.error.details[0].path).toBe('userId');
  });

  it('enforces the access level of each route: public, server key only (on a class and on a method), any caller', async () => {
    const { token } = (await api.post('/v1/users/ana/token', { ttlSeconds: 3600 })).body;
    expect((await api.get('/health', { anonymous: true })).status).toBe(200);
    expect((await api.call('HEAD', '/health', undefined, { anonymous: true })).status).toBe(200);
    expect((await api.get('/v1/conversations', { anonymous: true })).body.error.code).toBe('UNAUTHORIZED');
    expect((await api.get('/v1/conversations', { token })).status).toBe(200);
    // GroupsController is @ServerKeyOnly() as a class, users' PUT as a method.
    const group = await api.put('/v1/groups/g-access', { name: 'g', memberIds: ['ana'] }, { token });
    expect(group.status).toBe(403);
    expect(group.body.error.code).toBe('FORBIDDEN');
    expect((await api.put('/v1/users/bo', { name: 'Bo' }, { token })).status).toBe(403);
    // A route that does not exist is 404 whoever asks, credentials or not.
    expect((await api.get('/v1/no-such-route', { anonymous: true })).status).toBe(404);
  });

  it('is healthy only while every service answers', async () => {
    const ok = await api.get('/health', { anonymous: true });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'ok', nats: 'ok', services: { messaging: 'ok', expansions: 'ok', receipts: 'ok', push: 'ok' } });
    // Beside readiness, each service's projection consumers (lag, parked): see poison.e2e.spec.ts.
    expect(Object.keys(ok.body.consumers).sort()).toEqual(['expansions', 'messaging', 'push', 'receipts']);
    await stack.stopService('push');
    const down = await api.get('/health', { anonymous: true });
    expect(down.status).toBe(503);
    expect(down.body.services.push).toBe('down');
    await stack.startService('push');
    expect((await api.get('/health', { anonymous: true })).status).toBe(200);
  });
});
