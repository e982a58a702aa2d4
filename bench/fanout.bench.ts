/**
 * `npm run bench:fanout`: fan-out of group messages against a running stack (`npm run stack`).
 *
 * A group of BENCH_MEMBERS (5,000); BENCH_ONLINE (1,000) members hold a real-time stream each
 * (GET /v1/stream, Server-Sent Events, through the gateway); every other member has a webhook
 * device pointing at a receiver in this process. BENCH_MESSAGES (10) messages are sent to the
 * group, one every BENCH_INTERVAL_MS (500). Prints stream delivery latency p50/p99 from send to
 * receipt (both clocks are this process's; "published" is when the push service's fan-out put it
 * on the delivery subject), pushes/s, and the gateway's memory per open stream.
 *
 * The streams go through a gateway process the benchmark starts itself (bench/gateway-probe.ts,
 * the same gateway, reporting its memory after a full GC); everything else goes to BASE_URL.
 * Set NATS_URL and SUBJECT_PREFIX as the stack has them. BENCH_VERBOSE=1 prints each message.
 * The receiver listens on 127.0.0.1, which the push service reaches only when the stack runs
 * with PUSH_ALLOWED_NETWORKS=127.0.0.0/8 (and, all webhooks being one receiver, a
 * PUSH_PER_HOST_CONCURRENCY of 64 to measure what was measured before the per-host limit).
 */
import { createHmac } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Subjects } from '@im/contracts';
import { connect } from '@nats-io/transport-node';
import { openStream, StreamStats } from './stream-reader';
import { api, createGroup, createUsers, envInt, ok, percentile, pool, range, runId, sleep, timed } from './bench-kit';

const MEMBERS = envInt('BENCH_MEMBERS', 5000);
const ONLINE = Math.min(envInt('BENCH_ONLINE', 1000), MEMBERS);
const MESSAGES = envInt('BENCH_MESSAGES', 10);
const INTERVAL_MS = envInt('BENCH_INTERVAL_MS', 500);
/** BENCH_WEBHOOKS=0 leaves the offline members without devices: the fan-out alone, no push load. */
const WEBHOOKS = process.env.BENCH_WEBHOOKS !== '0';
const DRAIN_TIMEOUT_MS = envInt('BENCH_DRAIN_TIMEOUT_MS', 300_000);
const SECRET = `bench-secret-${runId}`;

/**
 * Where the time goes: a core NATS subscriber on the delivery subjects sees each delivery when
 * the push service publishes it, before any gateway reads it.
 */
async function tapPublished(stats: StreamStats): Promise<() => Promise<void>> {
  const nc = await connect({ servers: process.env.NATS_URL || 'nats://127.0.0.1:4222' });
  nc.subscribe(new Subjects(process.env.SUBJECT_PREFIX || 'im').deliveryWildcard(), {
    callback: (_e, m) => {
      const at = Date.now();
      const envelope = m.json<{ type: string; data: { messageUId: string } }>();
      if (envelope.type !== 'message.sent') return;
      stats.events += 1;
      const list = stats.arrivals.get(envelope.data.messageUId) ?? [];
      list.push(at);
      stats.arrivals.set(envelope.data.messageUId, list);
    },
  });
  return () => nc.close();
}

// ---------------------------------------------------------------------------------------------
// Pushes: a webhook receiver that checks signatures and notes arrivals

interface PushStats {
  arrivals: number[];
  badSignatures: number;
}

async function startReceiver(stats: PushStats): Promise<{ url: string; close(): void }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signed = `${req.headers['x-signature-id']}.${req.headers['x-signature-timestamp']}.`;
      const expected = `sha256=${createHmac('sha256', SECRET).update(signed).update(body).digest('hex')}`;
      if (req.headers['x-signature'] !== expected) stats.badSignatures += 1;
      stats.arrivals.push(Date.now());
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`, close: () => server.close() };
}

// ---------------------------------------------------------------------------------------------
// Gateway memory: the streams go through a gateway process of our own, which reports its memory
// after a full GC (bench/gateway-probe.ts), so the difference is what the open streams keep.

interface Probe {
  url: string;
  memory(): Promise<NodeJS.MemoryUsage>;
  stop(): void;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function startProbe(): Promise<Probe> {
  const port = await freePort();
  const root = join(__dirname, '..');
  const child = spawn(process.execPath, ['--expose-gc', '-r', join(root, 'tools/register.js'), join(root, 'bench/gateway-probe.ts')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  process.on('exit', () => child.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilAsync(async () => (await fetch(`${url}/health`).catch(() => null))?.status === 200, 30_000);
  return {
    url,
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as NodeJS.MemoryUsage));
        child.send('memory');
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

async function waitUntilAsync(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the probe gateway did not start');
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

async function main(): Promise<void> {
  const groupId = `fo-${runId}`;
  const members = range(MEMBERS, (i) => `fo-${runId}-${i}`);
  const online = members.slice(0, ONLINE);
  const offline = members.slice(ONLINE);
  const sender = online[0];
  const streams: StreamStats = { arrivals: new Map(), events: 0 };
  const published: StreamStats = { arrivals: new Map(), events: 0 };
  const pushes: PushStats = { arrivals: [], badSignatures: 0 };
  const receiver = await startReceiver(pushes);
  const probe = await startProbe();

  console.log(`setup (run ${runId})`);
  await timed(`${MEMBERS} users`, () => createUsers(members));
  await timed(`group of ${MEMBERS}`, () => createGroup(groupId, members));
  const pushed = WEBHOOKS ? offline : [];
  await timed(`${pushed.length} webhook devices`, () =>
    pool(pushed, 50, async (u) => ok(await api.post('/v1/devices', { deviceId: 'bench', platform: 'webhook', url: receiver.url, secret: SECRET }, { as: u }), 'device')),
  );
  const before = await probe.memory();
  const closers: Array<() => void> = [];
  await timed(`${ONLINE} streams opened`, () => pool(online, 100, async (u) => void closers.push(await openStream(probe.url, u, streams))));
  await sleep(3000); // presence reaches the push service; the gateway settles
  const after = await probe.memory();

  const untap = await tapPublished(published);
  console.log(`sending ${MESSAGES} messages, one every ${INTERVAL_MS} ms`);
  const sentAt = new Map<string, number>();
  for (let i = 0; i < MESSAGES; i++) {
    const t0 = Date.now();
    const res = await api.sendText(sender, 3, groupId, `fan-out ${i}`);
    ok(res, 'send');
    sentAt.set(res.body.messageUId, t0);
    await sleep(INTERVAL_MS);
  }
  const expectedDeliveries = MESSAGES * ONLINE;
  const expectedPushes = MESSAGES * pushed.length;
  const delivered = () => [...sentAt.keys()].reduce((n, uid) => n + (streams.arrivals.get(uid)?.length ?? 0), 0);
  await waitUntil(() => delivered() >= expectedDeliveries, 60_000);
  await waitUntil(() => pushes.arrivals.length >= expectedPushes, DRAIN_TIMEOUT_MS);

  const latencies = [...sentAt].flatMap(([uid, t0]) => (streams.arrivals.get(uid) ?? []).map((t) => t - t0));
  const publishLatencies = [...sentAt].flatMap(([uid, t0]) => (published.arrivals.get(uid) ?? []).map((t) => t - t0));
  await untap();
  if (process.env.BENCH_VERBOSE) {
    for (const [uid, t0] of sentAt) {
      const p = (published.arrivals.get(uid) ?? []).map((t) => t - t0);
      const r = (streams.arrivals.get(uid) ?? []).map((t) => t - t0);
      console.log(uid, 'published', Math.min(...p), '..', Math.max(...p), 'received', Math.min(...r), '..', Math.max(...r));
    }
  }
  const firstSend = Math.min(...sentAt.values());
  const pushSpan = pushes.arrivals.length > 0 ? (Math.max(...pushes.arrivals) - firstSend) / 1000 : 1;
  closers.forEach((c) => c());
  receiver.close();
  probe.stop();
  const perStream = (k: 'rss' | 'heapUsed') => Math.round((after[k] - before[k]) / ONLINE / 1024);
  console.table([
    {
      members: MEMBERS,
      'online streams': ONLINE,
      messages: MESSAGES,
      'stream deliveries': `${delivered()} / ${expectedDeliveries}`,
      'delivery p50 ms': Math.round(percentile(latencies, 50)),
      'delivery p99 ms': Math.round(percentile(latencies, 99)),
      'published p50/p99 ms': `${Math.round(percentile(publishLatencies, 50))} / ${Math.round(percentile(publishLatencies, 99))}`,
      pushes: `${pushes.arrivals.length} / ${expectedPushes}`,
      'pushes/s': Math.round(pushes.arrivals.length / pushSpan),
      'bad signatures': pushes.badSignatures,
      'gateway KB/stream (rss / heap)': `${perStream('rss')} / ${perStream('heapUsed')}`,
    },
  ]);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
