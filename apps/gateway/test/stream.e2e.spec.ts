import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@im/contracts';
import { ensureDeliveryStream, PresenceBoard, PresenceReporter, RESYNC_MARKER_TYPE } from '@im/realtime';
import { PRESENCE, STREAM_REGISTRY } from '../src/tokens';
import { StreamRegistry } from '../src/stream/stream-registry';
import { createTestEnv, eventually, SseClient, startStack, TEST_API_KEY, TestEnv, TestStack } from '@im/stack';

/**
 * The gateway's side of the real-time stream, fed directly on its delivery subjects (as the
 * push service's fan-out does): ids, resume with Last-Event-ID, live-only status messages,
 * several devices, one stream per device, the cap per user, resync, heartbeats and presence.
 */
describe('gateway stream e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let nc: NatsConnection;
  let subjects: Subjects;
  let token: string;
  let board: PresenceBoard;
  const open: SseClient[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'], gateway: { heartbeatMs: 100, streamMaxPerUser: 3 } });
    nc = await connect({ servers: env.natsUrl });
    subjects = new Subjects(env.prefix);
    // What the push service keeps: the board of who has a live stream.
    board = new PresenceBoard(nc, subjects);
    board.start();
    await stack.api.put('/v1/users/u.1', { name: 'Dotty' });
    await stack.api.put('/v1/users/u.2', { name: 'Many' });
    token = (await stack.api.post('/v1/users/u.1/token')).body.token;
    await ensureDeliveryStream(await jetstreamManager(nc), subjects);
  });

  afterAll(async () => {
    board?.stop();
    open.forEach((c) => c.close());
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const device = async (deviceId: string, lastEventId?: string, asUser?: string) => {
    const headers: Record<string, string> = asUser ? { authorization: `Bearer ${TEST_API_KEY}`, 'x-user-id': asUser } : { authorization: `Bearer ${token}` };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const c = new SseClient(`${stack.api.baseUrl}/v1/stream?deviceId=${deviceId}`, headers);
    await c.open();
    open.push(c);
    return c;
  };
  const deliver = (userId: string, type: string, n: number) =>
    jetstream(nc).publish(subjects.deliver(userId), JSON.stringify({ id: randomUUID(), type, data: { n } }));

  it('delivers to every device with ids, and resumes from Last-Event-ID with exactly what was missed', async () => {
    const phone = await device('phone');
    const laptop = await device('laptop');
    for (let n = 1; n <= 3; n++) await deliver('u.1', 'message.sent', n);
    await phone.waitFor(3);
    await laptop.waitFor(3);
    expect(phone.events.map((e) => [e.event, e.data.data.n])).toEqual([['message.sent', 1], ['message.sent', 2], ['message.sent', 3]]);
    expect(laptop.events.map((e) => e.id)).toEqual(phone.events.map((e) => e.id));

    laptop.close();
    await deliver('u.1', 'expansion.updated', 4);
    await deliver('u.1', 'redpacket.claimed', 5);
    await phone.waitFor(5);
    const back = await device('laptop', laptop.lastId!);
    await deliver('u.1', 'message.sent', 6);
    // A sentinel after the last: one user's deliveries arrive in order, so nothing else came before it.
    await deliver('u.1', 'message.sent', 60);
    await back.waitFor(4);
    expect(back.events.map((e) => e.data.data.n)).toEqual([4, 5, 6, 60]);
    expect(back.events.map((e) => e.event)).toEqual(['expansion.updated', 'redpacket.claimed', 'message.sent', 'message.sent']);
  });

  it("never mixes users' deliveries", async () => {
    const c = await device('tablet');
    await deliver('someone-else', 'message.sent', 99);
    // The sentinel: later in the same delivery stream, so a leak of 99 would have come first.
    await deliver('u.1', 'message.sent', 7);
    await c.waitFor(1);
    expect(c.events.map((e) => e.data.data.n)).toEqual([7]);
  });

  it('passes status messages live, without an id, and never replays them', async () => {
    const c = await device('watch');
    nc.publish(subjects.live('u.1'), JSON.stringify({ id: randomUUID(), type: 'message.sent', data: { typing: true } }));
    await c.waitFor(1);
    expect(c.events[0]).toMatchObject({ id: null, event: 'message.sent', data: { data: { typing: true } } });
    const again = await device('watch-2', '0');
    // A stored delivery after it: the replay from the start comes before it, so waiting for it waits the replay out.
    await deliver('u.1', 'message.sent', 70);
    await eventually(async () => expect(again.events.some((e) => e.data.data?.n === 70)).toBe(true));
    expect(again.events.some((e) => e.data.data.typing)).toBe(false);
  });

  it('sends heartbeats and announces presence while a stream is open', async () => {
    const c = await device('hb');
    await eventually(async () => expect(c.comments).toBeGreaterThanOrEqual(3));
    await eventually(async () => expect(board.isOnline('u.1')).toBe(true));
    open.splice(0).forEach((x) => x.close());
    await eventually(async () => expect(board.isOnline('u.1')).toBe(false));
  });

  it('refuses a stream without a user, a device id or valid credentials', async () => {
    expect((await stack.api.get('/v1/stream?deviceId=x')).status).toBe(400); // server key without X-User-Id
    expect((await stack.api.get('/v1/stream', { token })).status).toBe(400);
    expect((await stack.api.get('/v1/stream?deviceId=x', { anonymous: true })).status).toBe(401);
  });

  it('keeps one stream per device: a second one replaces the first, which is told and closed', async () => {
    const first = await device('pad');
    const second = await device('pad');
    await first.waitForEnd();
    expect(first.events.map((e) => [e.event, e.data])).toEqual([['replaced', { reason: 'device' }]]);
    await deliver('u.1', 'message.sent', 21);
    await second.waitFor(1);
    expect(second.events.map((e) => e.data.data.n)).toEqual([21]);
    expect(second.ended).toBe(false);
    // Presence counts devices, and the replaced stream closing did not take the user offline.
    const reporter = stack.gateway.get<PresenceReporter>(PRESENCE);
    const other = await device('pad-2');
    await eventually(async () => expect(reporter.devices('u.1')).toBe(2));
    expect(board.isOnline('u.1')).toBe(true);
    other.close();
    await eventually(async () => expect(reporter.devices('u.1')).toBe(1));
    expect(board.isOnline('u.1')).toBe(true);
    second.close();
  });

  it('caps the streams of one user (3 here): the oldest is closed with replaced', async () => {
    const registry = stack.gateway.get<StreamRegistry>(STREAM_REGISTRY);
    const d = [await device('d1', undefined, 'u.2'), await device('d2', undefined, 'u.2'), await device('d3', undefined, 'u.2')];
    expect(registry.count('u.2')).toBe(3);
    const d4 = await device('d4', undefined, 'u.2');
    await d[0].waitForEnd();
    expect(d[0].events.map((e) => [e.event, e.data])).toEqual([['replaced', { reason: 'limit' }]]);
    expect(registry.count('u.2')).toBe(3);
    await deliver('u.2', 'message.sent', 31);
    for (const c of [d[1], d[2], d4]) await c.waitFor(1);
    expect([d[1], d[2], d4].map((c) => [c.ended, c.events.map((e) => e.event)])).toEqual([
      [false, ['message.sent']],
      [false, ['message.sent']],
      [false, ['message.sent']],
    ]);
    [d[1], d[2], d4].forEach((c) => c.close());
  });

  it('answers a Last-Event-ID it cannot replay from with resync first, then live events', async () => {
    const live = (c: SseClient) => c.events.map((e) => [e.event, e.event === 'resync' ? e.data : e.data.data.n]);
    const malformed = await device('rs-1', 'not-an-id');
    const unknown = await device('rs-2', '999999999');
    const viaQuery = new SseClient(`${stack.api.baseUrl}/v1/stream?deviceId=rs-3&lastEventId=%20x`, { authorization: `Bearer ${token}` });
    await viaQuery.open();
    open.push(viaQuery);
    await deliver('u.1', 'message.sent', 41);
    for (const c of [malformed, unknown, viaQuery]) await c.waitFor(2);
    expect(live(malformed)).toEqual([['resync', { reason: 'malformed' }], ['message.sent', 41]]);
    expect(live(unknown)).toEqual([['resync', { reason: 'unknown' }], ['message.sent', 41]]);
    expect(live(viaQuery)).toEqual([['resync', { reason: 'malformed' }], ['message.sent', 41]]);
    [malformed, unknown, viaQuery].forEach((c) => c.close());
  });

  it("turns the push service's marker (deliveries not kept while away) into resync at its place", async () => {
    const c = await device('rs-4');
    await deliver('u.1', 'message.sent', 51);
    await jetstream(nc).publish(subjects.deliver('u.1'), JSON.stringify({ type: RESYNC_MARKER_TYPE, data: { reason: 'not_kept' } }));
    await deliver('u.1', 'message.sent', 52);
    await c.waitFor(3);
    expect(c.events.map((e) => e.event)).toEqual(['message.sent', 'resync', 'message.sent']);
    expect(c.events[1].data).toEqual({ reason: 'not_kept' });
    expect(Number(c.events[1].id)).toBeGreaterThan(Number(c.events[0].id));
    c.close();
  });

  it('resyncs a device whose Last-Event-ID is older than what the stream still keeps', async () => {
    const c = await device('rs-5');
    await deliver('u.1', 'message.sent', 61);
    await c.waitFor(1);
    const old = c.lastId!;
    c.close();
    await deliver('u.1', 'message.sent', 62);
    // What the replay window does with age: everything up to now is gone.
    await (await jetstreamManager(nc)).streams.purge(subjects.deliveryStream());
    const back = await device('rs-5', old);
    await deliver('u.1', 'message.sent', 63);
    await back.waitFor(2);
    expect(back.events.map((e) => [e.event, e.event === 'resync' ? e.data : e.data.data.n])).toEqual([['resync', { reason: 'too_old' }], ['message.sent', 63]]);
  });
});
