import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { Subjects } from '@im/contracts';
import { ensureDeliveryStream, PresenceAnnouncement } from '@im/realtime';
import { createTestEnv, eventually, SseClient, startStack, TestEnv, TestStack } from '@im/stack';

/**
 * The gateway's side of the real-time stream, fed directly on its delivery subjects (as the
 * push service's fan-out does): ids, resume with Last-Event-ID, live-only status messages,
 * several devices, heartbeats and presence.
 */
describe('gateway stream e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let nc: NatsConnection;
  let subjects: Subjects;
  let token: string;
  const announcements: PresenceAnnouncement[] = [];
  const open: SseClient[] = [];

  beforeAll(async () => {
    process.env.STREAM_HEARTBEAT_MS = '100';
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    nc = await connect({ servers: env.natsUrl });
    subjects = new Subjects(env.prefix);
    nc.subscribe(subjects.presence(), { callback: (_e, m) => void announcements.push(m.json()) });
    await stack.api.put('/v1/users/u.1', { name: 'Dotty' });
    token = (await stack.api.post('/v1/users/u.1/token')).body.token;
    await ensureDeliveryStream(await jetstreamManager(nc), subjects);
  });

  afterAll(async () => {
    delete process.env.STREAM_HEARTBEAT_MS;
    open.forEach((c) => c.close());
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const device = async (deviceId: string, lastEventId?: string) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
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
    await back.waitFor(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(back.events.map((e) => e.data.data.n)).toEqual([4, 5, 6]);
    expect(back.events.map((e) => e.event)).toEqual(['expansion.updated', 'redpacket.claimed', 'message.sent']);
  });

  it("never mixes users' deliveries", async () => {
    const c = await device('tablet');
    await deliver('someone-else', 'message.sent', 99);
    await deliver('u.1', 'message.sent', 7);
    await c.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.events.map((e) => e.data.data.n)).toEqual([7]);
  });

  it('passes status messages live, without an id, and never replays them', async () => {
    const c = await device('watch');
    nc.publish(subjects.live('u.1'), JSON.stringify({ id: randomUUID(), type: 'message.sent', data: { typing: true } }));
    await c.waitFor(1);
    expect(c.events[0]).toMatchObject({ id: null, event: 'message.sent', data: { data: { typing: true } } });
    const again = await device('watch-2', '0');
    await new Promise((r) => setTimeout(r, 200));
    expect(again.events.some((e) => e.data.data.typing)).toBe(false);
  });

  it('sends heartbeats and announces presence while a stream is open', async () => {
    const c = await device('hb');
    await eventually(async () => expect(c.comments).toBeGreaterThanOrEqual(3));
    await eventually(async () => expect(announcements[announcements.length - 1].userIds).toContain('u.1'));
    open.splice(0).forEach((x) => x.close());
    await eventually(async () => expect(announcements[announcements.length - 1].userIds).not.toContain('u.1'));
  });

  it('refuses a stream without a user, a device id or valid credentials', async () => {
    expect((await stack.api.get('/v1/stream?deviceId=x')).status).toBe(400); // server key without X-User-Id
    expect((await stack.api.get('/v1/stream', { token })).status).toBe(400);
    expect((await stack.api.get('/v1/stream?deviceId=x', { anonymous: true })).status).toBe(401);
  });
});
