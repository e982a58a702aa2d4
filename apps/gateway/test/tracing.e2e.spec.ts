import { ApiClient, createTestEnv, eventually, TestEnv } from '@im/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

const TEST_KEY = 'tracing-test-server-key';

interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** A stand-in OTLP/HTTP collector: keeps every span the apps export (JSON, as the http exporter sends). */
async function collector(): Promise<{ url: string; spans: CollectedSpan[]; server: Server }> {
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const doc = JSON.parse(body) as {
        resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Omit<CollectedSpan, 'service'>[] }> }>;
      };
      for (const rs of doc.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
        for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * The five apps as in production, one process each (`npm run stack`), exporting to the stand-in
 * collector. In processes of their own because the OTLP exporter loads `http` with a dynamic
 * import, which jest's module sandbox cannot do; it also shows the trace crossing processes.
 */
describe('OpenTelemetry export (OTEL_EXPORTER_OTLP_ENDPOINT set), across the five processes', () => {
  let env: TestEnv;
  let otlp: Awaited<ReturnType<typeof collector>>;
  let stack: ChildProcess;
  let api: ApiClient;
  let output = '';

  beforeAll(async () => {
    otlp = await collector();
    env = await createTestEnv();
    const port = await freePort();
    stack = spawn(process.execPath, ['-r', './tools/register.js', 'tools/stack.ts'], {
      cwd: join(__dirname, '../../..'),
      env: {
        ...process.env,
        DATABASE_URL: env.databaseUrl,
        NATS_URL: env.natsUrl,
        SUBJECT_PREFIX: env.prefix,
        PORT: String(port),
        HOST: '127.0.0.1',
        IM_API_KEY: TEST_KEY,
        IM_TOKEN_SECRET: 'tracing-test-token-secret',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        METRICS_PORT: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stack.stdout!.on('data', (d) => (output += d));
    stack.stderr!.on('data', (d) => (output += d));
    api = new ApiClient(`http://127.0.0.1:${port}`, TEST_KEY);
    await eventually(async () => expect((await api.get('/health/ready', { anonymous: true })).status).toBe(200), 90_000, 250);
    await api.put('/v1/users/ana', { name: 'Ana' });
    await api.put('/v1/users/bob', { name: 'Bob' });
    // The users' events applied everywhere first, so the send's event starts a batch of its own.
    await eventually(async () => {
      const { consumers } = (await api.get('/health', { anonymous: true })).body as { consumers: Record<string, Array<{ lag: number }> | null> };
      expect(Object.values(consumers).flatMap((c) => c ?? [{ lag: -1 }]).every((c) => c.lag === 0)).toBe(true);
    });
  }, 120_000);

  afterAll(async () => {
    if (stack && stack.exitCode === null) {
      const exited = new Promise((r) => stack.once('exit', r));
      stack.kill('SIGTERM');
      await exited;
    }
    await env?.dispose();
    otlp?.server.close();
  }, 60_000);

  it('exports the HTTP request, the RPC it made and the projection batches of its event, in one trace', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const sent = await api.sendText('ana', 1, 'bob', 'spanned', {}, { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    expect(sent.status).toBe(201);
    // Each process exports on its own schedule: wait for all three kinds.
    const spans = await eventually(async () => {
      const mine = otlp.spans.filter((s) => s.traceId === traceId);
      expect(mine.some((s) => s.name.startsWith('projection '))).toBe(true);
      expect(mine.some((s) => s.service === 'im-gateway')).toBe(true);
      expect(mine.some((s) => s.service === 'im-messaging' && s.name.startsWith('rpc '))).toBe(true);
      return mine;
    });
    const http = spans.find((s) => s.service === 'im-gateway' && s.name === 'HTTP POST /v1/messages');
    expect(http?.parentSpanId).toBe('b7ad6b7169203331');
    const rpc = spans.find((s) => s.service === 'im-messaging' && s.name === 'rpc messaging.messages.send');
    expect(rpc?.parentSpanId).toBe(http?.spanId);
    // The event's consumers (the services that apply message.sent) continue the same trace.
    expect(spans.filter((s) => s.name.startsWith('projection ')).every((s) => s.parentSpanId !== undefined)).toBe(true);

    // And the two processes' logs name it: the gateway's request line, messaging's RPC line.
    const lines = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'request' && l.route === '/v1/messages')).toMatchObject({ context: 'http', status: 201, trace_id: traceId });
    expect(lines.find((l) => l.msg === 'rpc handled' && l.rpc === 'messaging.messages.send')).toMatchObject({ context: 'messaging', trace_id: traceId });
  });
});
