import { connect as tcpConnect, Socket } from 'node:net';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@im/contracts';
import { ensureDeliveryStream, PresenceAnnouncement, PresenceBoard } from '@im/realtime';
import { createTestEnv, eventually, SseClient, startStack, TEST_API_KEY, TestEnv, TestStack } from '@im/stack';
import { STREAM_REGISTRY } from '../src/tokens';
import { StreamRegistry } from '../src/stream/stream-registry';

const CHUNK_BYTES = 600;
const MAX_BUFFERED = 64 * 1024;

/**
 * The stream's limits through the gateway: a reader that stops reading is cut off instead of
 * buffered for, and presence goes out in messages under the configured size.
 */
describe('gateway stream limits e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let nc: NatsConnection;
  let subjects: Subjects;
  const open: SseClient[] = [];

  beforeAll(async () => {
    process.env.STREAM_MAX_BUFFERED_BYTES = String(MAX_BUFFERED);
    process.env.STREAM_DRAIN_TIMEOUT_MS = '3000';
    process.env.PRESENCE_CHUNK_BYTES = String(CHUNK_BYTES);
    process.env.STREAM_MAX_PER_USER = '100';
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    nc = await connect({ servers: env.natsUrl });
    subjects = new Subjects(env.prefix);
    await ensureDeliveryStream(await jetstreamManager(nc), subjects);
  });

  afterAll(async () => {
    for (const v of ['STREAM_MAX_BUFFERED_BYTES', 'STREAM_DRAIN_TIMEOUT_MS', 'PRESENCE_CHUNK_BYTES', 'STREAM_MAX_PER_USER']) delete process.env[v];
    open.forEach((c) => c.close());
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const stream = async (userId: string, deviceId: string) => {
    const c = new SseClient(`${stack.api.baseUrl}/v1/stream?deviceId=${deviceId}`, { authorization: `Bearer ${TEST_API_KEY}`, 'x-user-id': userId });
    await c.open();
    open.push(c);
    return c;
  };

  /** A raw HTTP client that reads the response head, then stops reading (its socket paused). */
  const stalledReader = async (userId: string, deviceId: string) => {
    const { port } = new URL(stack.api.baseUrl);
    const socket: Socket = tcpConnect(Number(port), '127.0.0.1');
    let received = 0;
    let closed = false;
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    const head = new Promise<void>((resolve) => {
      socket.once('data', (chunk) => {
        received += chunk.length;
        socket.pause();
        socket.on('data', (c) => (received += c.length));
        resolve();
      });
    });
    socket.write(`GET /v1/stream?deviceId=${deviceId} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_API_KEY}\r\nX-User-Id: ${userId}\r\nAccept: text/event-stream\r\n\r\n`);
    await head;
    return { socket, received: () => received, closed: () => closed };
  };

  it('disconnects a reader that stops reading; the other streams keep receiving everything', async () => {
    const registry = stack.gateway.get<StreamRegistry>(STREAM_REGISTRY);
    const slow = await stalledReader('bp', 'slow');
    const healthy = await stream('bp', 'healthy');
    await eventually(async () => expect(registry.count('bp')).toBe(2));
    // 24 MB of deliveries: far more than the socket buffers of both ends hold.
    const payload = 'x'.repeat(60 * 1024);
    const count = 400;
    const js = jetstream(nc);
    for (let n = 1; n <= count; n++) await js.publish(subjects.deliver('bp'), JSON.stringify({ id: `e${n}`, type: 'message.sent', data: { n, payload } }));
    await js.publish(subjects.deliver('bp'), JSON.stringify({ id: 'sentinel', type: 'message.sent', data: { n: count + 1 } }));
    await healthy.waitFor(count + 1, 60_000);
    expect(healthy.events.map((e) => e.data.data.n)).toEqual(Array.from({ length: count + 1 }, (_, i) => i + 1));
    // The gateway let go of the stalled one (and of what it had queued for it)...
    await eventually(async () => expect(registry.count('bp')).toBe(1));
    // ...so when it reads again it finds the end of the stream, well short of everything.
    slow.socket.resume();
    await eventually(async () => expect(slow.closed()).toBe(true));
    expect(slow.received()).toBeLessThan((count * payload.length) / 2);
    expect(healthy.ended).toBe(false);
  }, 120_000);

  it('announces presence in messages under the configured size, and a board sees every user', async () => {
    const seen: PresenceAnnouncement[] = [];
    const sizes: number[] = [];
    nc.subscribe(subjects.presence(), {
      callback: (_e, m) => {
        sizes.push(m.data.length);
        seen.push(m.json());
      },
    });
    const board = new PresenceBoard(nc, subjects);
    board.start();
    const users = Array.from({ length: 40 }, (_, i) => `presence-user-${String(i).padStart(3, '0')}`);
    await Promise.all(users.map((u) => stream(u, 'phone')));
    await eventually(async () => expect(users.filter((u) => !board.isOnline(u))).toEqual([]));
    // A full announcement of all 40 comes in several parts, each under the limit.
    nc.publish(subjects.presenceSync());
    await eventually(async () => {
      const full = seen.filter((a) => a.kind === 'full' && a.parts > 1 && users.every((u) => seen.some((b) => b.kind === 'full' && b.round === a.round && b.gatewayId === a.gatewayId && b.userIds.includes(u))));
      expect(full.length).toBeGreaterThan(0);
    });
    expect(Math.max(...sizes)).toBeLessThanOrEqual(CHUNK_BYTES);
    board.stop();
  });
});
