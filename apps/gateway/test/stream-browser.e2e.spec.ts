import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@im/contracts';
import { ensureDeliveryStream } from '@im/realtime';
import { createTestEnv, SseClient, startStack, TestEnv, TestStack } from '@im/stack';

const ORIGIN = 'http://app.example.test:8080';

/**
 * What a browser needs: CORS for the listed origins, one-time stream tickets (EventSource cannot
 * send Authorization), and a gateway that ends its open streams when it stops, quickly.
 */
describe('gateway stream for browsers e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let nc: NatsConnection;
  let subjects: Subjects;
  let token: string;
  const open: SseClient[] = [];

  beforeAll(async () => {
    process.env.CORS_ORIGINS = `${ORIGIN}, http://other.example.test`;
    process.env.STREAM_TICKET_TTL_SECONDS = '1';
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    nc = await connect({ servers: env.natsUrl });
    subjects = new Subjects(env.prefix);
    await ensureDeliveryStream(await jetstreamManager(nc), subjects);
    await stack.api.put('/v1/users/web', { name: 'Web' });
    token = (await stack.api.post('/v1/users/web/token')).body.token;
  });

  afterAll(async () => {
    delete process.env.CORS_ORIGINS;
    delete process.env.STREAM_TICKET_TTL_SECONDS;
    open.forEach((c) => c.close());
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const ticket = async (body?: unknown, opts: { token?: string; as?: string } = { token }) => {
    const res = await stack.api.post('/v1/stream/tickets', body, opts);
    expect(res.status).toBe(201);
    return res.body as { ticket: string; expiresAt: string };
  };
  const withTicket = async (t: string, query = '') => {
    const c = new SseClient(`${stack.api.baseUrl}/v1/stream?ticket=${t}${query}`, { origin: ORIGIN });
    await c.open();
    open.push(c);
    return c;
  };
  const deliver = (n: number) => jetstream(nc).publish(subjects.deliver('web'), JSON.stringify({ id: `e${n}`, type: 'message.sent', data: { n } }));

  it('answers a preflight from a listed origin (credentials, Last-Event-ID allowed), and nothing for others', async () => {
    const preflight = (origin: string) =>
      fetch(`${stack.api.baseUrl}/v1/stream/tickets`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, last-event-id' },
      });
    const ok = await preflight(ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toEqual(expect.stringContaining('last-event-id'));
    const other = await preflight('http://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const plain = await fetch(`${stack.api.baseUrl}/health`, { headers: { origin: ORIGIN } });
    expect(plain.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('opens a stream with a one-time ticket (CORS headers on it too), bound to its user and device', async () => {
    const t = await ticket({ deviceId: 'browser' });
    expect(t.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(t.expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    const res = await fetch(`${stack.api.baseUrl}/v1/stream?ticket=${t.ticket}`, { headers: { origin: ORIGIN } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await res.body!.cancel();

    const c = await withTicket((await ticket({ deviceId: 'browser' })).ticket);
    await deliver(1);
    await c.waitFor(1);
    expect(c.events.map((e) => [e.event, e.data.data.n])).toEqual([['message.sent', 1]]);
    // The device is the ticket's: a second ticket for it replaces this stream.
    const again = await withTicket((await ticket({ deviceId: 'browser' })).ticket);
    await c.waitForEnd();
    expect(c.events.at(-1)).toMatchObject({ event: 'replaced', data: { reason: 'device' } });
    await deliver(2);
    await again.waitFor(1);
    again.close();
  });

  it('refuses a used, an expired, an unknown or a malformed ticket with 401 and a named code', async () => {
    const t = (await ticket(undefined, { as: 'web' })).ticket;
    const first = await withTicket(t, '&deviceId=server-issued');
    first.close();
    const used = await stack.api.get(`/v1/stream?ticket=${t}&deviceId=x`, { anonymous: true });
    expect([used.status, used.body.error?.code]).toEqual([401, 'TICKET_USED']);
    const stale = (await ticket()).ticket;
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await stack.api.get(`/v1/stream?ticket=${stale}&deviceId=x`, { anonymous: true });
    expect([expired.status, expired.body.error?.code]).toEqual([401, 'TICKET_EXPIRED']);
    const unknown = await stack.api.get(`/v1/stream?ticket=${'A'.repeat(43)}&deviceId=x`, { anonymous: true });
    expect([unknown.status, unknown.body.error?.code]).toEqual([401, 'TICKET_INVALID']);
    const garbage = await stack.api.get('/v1/stream?ticket=..%2F..&deviceId=x', { anonymous: true });
    expect([garbage.status, garbage.body.error?.code]).toEqual([401, 'TICKET_INVALID']);
  });

  it('refuses a ticket without a user, with bad fields, or without credentials; a ticket without a device needs deviceId', async () => {
    expect((await stack.api.post('/v1/stream/tickets', {})).status).toBe(400); // server key without X-User-Id
    expect((await stack.api.post('/v1/stream/tickets', { deviceId: 'a b' }, { token })).status).toBe(400);
    expect((await stack.api.post('/v1/stream/tickets', { extra: 1 }, { token })).status).toBe(400);
    expect((await stack.api.post('/v1/stream/tickets', {}, { anonymous: true })).status).toBe(401);
    const bound = (await ticket({ deviceId: 'tv' })).ticket;
    expect((await stack.api.get(`/v1/stream?ticket=${bound}&deviceId=radio`, { anonymous: true })).status).toBe(400);
    const unbound = (await ticket()).ticket;
    expect((await stack.api.get(`/v1/stream?ticket=${unbound}`, { anonymous: true })).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('ends open streams with a shutdown event when the gateway closes, in well under 2 s', async () => {
    const a = await withTicket((await ticket({ deviceId: 'last-1' })).ticket);
    const b = new SseClient(`${stack.api.baseUrl}/v1/stream?deviceId=last-2`, { authorization: `Bearer ${token}` });
    await b.open();
    open.push(b);
    const started = Date.now();
    await stack.closeGateway();
    const took = Date.now() - started;
    await a.waitForEnd();
    await b.waitForEnd();
    expect(took).toBeLessThan(2000);
    for (const c of [a, b]) expect(c.events.at(-1)).toMatchObject({ event: 'shutdown' });
  });
});
