import { Subjects } from '@im/contracts';
import { configureLogging } from '@im/observability';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** One sample of a Prometheus text exposition: the value of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('observability e2e: metrics, logs, traces, health', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  /** Every log line the apps wrote, as written (one JSON document each). */
  const raw: string[] = [];
  const lines = () => raw.map((l) => JSON.parse(l) as Record<string, unknown>);

  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

  beforeAll(async () => {
    configureLogging({ level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
    env = await createTestEnv();
    stack = await startStack(env, { metrics: true });
    api = stack.api;
    await api.put('/v1/users/ana', { name: 'Ana' });
    await api.put('/v1/users/bob', { name: 'Bob' });
    const sent = await api.sendText('ana', 1, 'bob', 'traced', {}, { headers: { traceparent, 'x-request-id': 'req-obs-1' } });
    expect(sent.status).toBe(201);
    expect(sent.headers.get('x-request-id')).toBe('req-obs-1');
    expect(sent.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  afterAll(async () => {
    await stack?.close();
    await env?.dispose();
  });

  it('writes JSON lines: one per request, and the service lines of the same send share its trace id', () => {
    const request = lines().find((l) => l.msg === 'request' && l.request_id === 'req-obs-1');
    expect(request).toMatchObject({
      level: 'info',
      context: 'http',
      method: 'POST',
      route: '/v1/messages',
      status: 201,
      duration_ms: expect.any(Number),
      trace_id: traceId,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const handled = lines().find((l) => l.msg === 'rpc handled' && l.rpc === 'messaging.messages.send');
    expect(handled).toMatchObject({ level: 'debug', context: 'messaging', outcome: 'ok', trace_id: traceId, duration_ms: expect.any(Number) });
    // A request id is made when none is given, and every request gets a new trace.
    const other = lines().find((l) => l.msg === 'request' && l.route === '/v1/users/:userId');
    expect(other?.request_id).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
    expect(other?.trace_id).not.toBe(traceId);
  });

  it('carries the trace in the event envelope the relay publishes', async () => {
    const subjects = new Subjects(env.prefix);
    const nc = await connect({ servers: env.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      const msg = await eventually(async () => {
        const m = await jsm.streams.getMessage(subjects.stream('messaging'), { last_by_subj: subjects.event('messaging', 'message.sent') });
        if (!m) throw new Error('not published yet');
        return m;
      });
      const envelope = msg.json<{ traceparent?: string; data: { content: { content: string } } }>();
      expect(envelope.data.content.content).toBe('traced');
      expect(envelope.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    } finally {
      await nc.close();
    }
  });

  it('serves /metrics on the gateway and on each service: requests by route, RPC calls, lag', async () => {
    expect((await api.get('/v1/no/such/route/42')).status).toBe(404);
    const gateway = await fetch(`${stack.url}/metrics`).then((r) => r.text());
    expect(sample(gateway, 'im_http_requests_total', { app: 'gateway', method: 'POST', route: '/v1/messages', status: '201' })).toBe(1);
    expect(sample(gateway, 'im_http_request_duration_seconds_count', { method: 'POST', route: '/v1/messages', status: '201' })).toBe(1);
    // The route pattern, never the raw URL.
    expect(gateway).toContain('route="/v1/users/:userId"');
    expect(gateway).not.toContain('/v1/no/such/route/42');
    expect(sample(gateway, 'im_rpc_client_duration_seconds_count', { method: 'messaging.messages.send', outcome: 'ok' })).toBe(1);
    expect(sample(gateway, 'im_open_streams', { app: 'gateway' })).toBe(0);

    const messaging = await fetch(`${stack.opsUrl('messaging')}/metrics`).then((r) => r.text());
    expect(sample(messaging, 'im_rpc_server_duration_seconds_count', { app: 'messaging', method: 'messaging.messages.send', outcome: 'ok' })).toBe(1);
    const stream = new Subjects(env.prefix).stream('messaging');
    expect(sample(messaging, 'im_projection_lag_seconds', { projection: 'conversations', stream })).toBeGreaterThanOrEqual(0);
    expect(sample(messaging, 'im_projection_parked_total', { projection: 'conversations', stream })).toBe(0);
    expect(sample(messaging, 'im_relay_lag_seconds', { service: 'messaging' })).toBeGreaterThanOrEqual(0);
    await eventually(async () => {
      const text = await fetch(`${stack.opsUrl('messaging')}/metrics`).then((r) => r.text());
      // Two users and the message.
      expect(sample(text, 'im_relay_published_total', { service: 'messaging' })).toBeGreaterThanOrEqual(3);
    });
    // Each service has its own registry: push's shows push's series, not messaging's.
    const push = await fetch(`${stack.opsUrl('push')}/metrics`).then((r) => r.text());
    expect(push).toContain('im_pushes_total');
    expect(sample(push, 'im_rpc_server_duration_seconds_count', { method: 'messaging.messages.send' })).toBeUndefined();
  });

  it('is live and ready, and not ready (503, naming it) while a service is down', async () => {
    expect((await api.get('/health/live', { anonymous: true })).status).toBe(200);
    const ready = await api.get('/health/ready', { anonymous: true });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ok', notReady: [], checks: { nats: 'ok', messaging: 'ok', expansions: 'ok', receipts: 'ok', push: 'ok' } });
    const own = await fetch(`${stack.opsUrl('messaging')}/health/ready`);
    expect(own.status).toBe(200);
    expect(await own.json()).toMatchObject({ status: 'ok', checks: { postgres: 'ok', nats: 'ok', relay: 'ok', 'consumer:conversations:messaging': 'ok' } });
    expect((await fetch(`${stack.opsUrl('messaging')}/health/live`)).status).toBe(200);

    await stack.stopService('receipts');
    const down = await api.get('/health/ready', { anonymous: true });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: 'unavailable', notReady: ['receipts'], checks: { receipts: 'down', messaging: 'ok' } });
    expect((await api.get('/health', { anonymous: true })).status).toBe(503);

    await stack.startService('receipts');
    expect((await api.get('/health/ready', { anonymous: true })).status).toBe(200);
    expect((await api.get('/health', { anonymous: true })).status).toBe(200);
  });
});
