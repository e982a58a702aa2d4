import { Subjects } from '@im/contracts';
import { PresenceBoard, PresenceReporter } from '@im/realtime';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { PUSH_PRESENCE } from '../src/pushes/push.worker';
import { DeliveryTap, liveTap } from './stream-tap';

/**
 * The real-time stream's fan-out: what reaches each user's delivery subject (the gateway's
 * source), in order, to the right people only; status messages live only, never stored.
 */
describe('stream fan-out e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let subjects: Subjects;
  let gateway: PresenceReporter;
  const taps = new Map<string, DeliveryTap>();
  const members = ['ann', 'bob', 'cat', 'dan'];
  const online = ['ann', 'bob', 'cat'];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'expansions', 'push'] });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    subjects = new Subjects(env.prefix);
    for (const id of [...members, 'eve']) await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
    await api.put('/v1/groups/g1', { name: 'Crew', memberIds: [...members, 'eve'] });
    // A gateway with live streams for ann, bob, cat, and for eve until she leaves; dan never connects.
    gateway = new PresenceReporter(nc, subjects, 'gw-test');
    gateway.start();
    for (const u of [...online, 'eve']) gateway.opened(u);
    const board = stack.services.get('push')!.get<PresenceBoard>(PUSH_PRESENCE);
    await eventually(async () => expect([...online, 'eve'].every((u) => board.isOnline(u))).toBe(true));
    gateway.closed('eve');
    await eventually(async () => expect(board.isOnline('eve')).toBe(false));
    for (const u of [...members, 'eve']) taps.set(u, await DeliveryTap.open(nc, subjects, u));
  });

  afterAll(async () => {
    taps.forEach((t) => t.stop());
    gateway?.stop();
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const tap = (u: string) => taps.get(u)!;
  const aboutMessage = (uid: string) => (e: { data: any }) => e.data.messageUId === uid;

  it('delivers a group message, an expansion change and a red packet claim to each member, in order', async () => {
    const sent = await api.sendText('ann', 3, 'g1', 'hello crew', { canIncludeExpansion: true });
    expect(sent.status).toBe(201);
    const uid = sent.body.messageUId;
    for (const u of online) await eventually(async () => expect(tap(u).types(aboutMessage(uid))).toEqual(['message.sent']));
    expect((await api.call('PATCH', `/v1/messages/${uid}/expansion`, { set: { mood: 'happy' } }, { as: 'bob' })).status).toBe(200);
    for (const u of online) await eventually(async () => expect(tap(u).types(aboutMessage(uid))).toEqual(['message.sent', 'expansion.updated']));

    const packet = await api.post('/v1/red-packets', { conversationType: 3, targetId: 'g1', totalAmount: 100, count: 2, mode: 'fixed', currency: 'CNY' }, { as: 'ann' });
    expect(packet.status).toBe(201);
    expect((await api.post(`/v1/red-packets/${packet.body.redPacketId}/claims`, undefined, { as: 'cat' })).status).toBe(200);
    const aboutPacket = (e: { data: any }) => e.data.redPacketId === packet.body.redPacketId;
    for (const u of online) await eventually(async () => expect(tap(u).types(aboutPacket)).toEqual(['redpacket.created', 'redpacket.claimed']));
    for (const u of online) {
      // Per member: the message, its expansion, then the packet's message, its claim and the claim's expansion.
      const mine = tap(u).events.filter((e) => e.data.messageUId === uid || aboutPacket(e) || e.data.messageUId === packet.body.messageUId);
      expect(mine.map((e) => e.type)).toEqual(expect.arrayContaining(['message.sent', 'expansion.updated', 'redpacket.created', 'redpacket.claimed']));
      const order = mine.map((e) => e.type);
      expect(order.indexOf('expansion.updated')).toBeGreaterThan(order.indexOf('message.sent'));
      expect(order.indexOf('redpacket.claimed')).toBeGreaterThan(order.indexOf('redpacket.created'));
      // The original envelope, unchanged.
      expect(mine[0]).toMatchObject({ specversion: '1.0', type: 'message.sent', data: { messageUId: uid, senderId: 'ann' } });
    }
    await eventually(async () => {
      const claimUpdate = tap('bob').events.filter((e) => e.type === 'expansion.updated' && e.data.messageUId === packet.body.messageUId && e.data.reason === 'red_packet');
      expect(claimUpdate.length).toBeGreaterThan(0);
    });
  });

  it("keeps each stream's order: a burst of messages arrives in seq order", async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 8; i++) seqs.push((await api.sendText(i % 2 ? 'bob' : 'ann', 3, 'g1', `burst ${i}`)).body.seq);
    const burst = (e: { type: string; data: any }) => e.type === 'message.sent' && String(e.data.content.content).startsWith('burst');
    for (const u of online) {
      await eventually(async () => expect(tap(u).events.filter(burst).map((e) => e.data.seq)).toEqual(seqs));
    }
  });

  it('sends a directed message to its recipients and sender only', async () => {
    const directed = await api.sendText('ann', 3, 'g1', 'psst bob', { directedUserIds: ['bob'] });
    const after = await api.sendText('ann', 3, 'g1', 'everyone again');
    await eventually(async () => expect(tap('cat').types(aboutMessage(after.body.messageUId))).toEqual(['message.sent']));
    await eventually(async () => expect(tap('bob').types(aboutMessage(after.body.messageUId))).toEqual(['message.sent']));
    expect(tap('bob').types(aboutMessage(directed.body.messageUId))).toEqual(['message.sent']);
    expect(tap('ann').types(aboutMessage(directed.body.messageUId))).toEqual(['message.sent']);
    expect(tap('cat').types(aboutMessage(directed.body.messageUId))).toEqual([]);
  });

  it('sends a status message live to the online members only, and never stores it', async () => {
    expect((await api.put('/v1/message-types/app:typing', { isPersisted: false, isCounted: false, isStatus: true })).status).toBe(200);
    const live = new Map(members.map((u) => [u, liveTap(nc, subjects, u)]));
    await nc.flush();
    const status = await api.post('/v1/messages', { conversationType: 3, targetId: 'g1', objectName: 'app:typing', content: { typing: true } }, { as: 'ann' });
    expect(status.status).toBe(201);
    expect(status.body.seq).toBeNull();
    for (const u of ['bob', 'cat']) await eventually(async () => expect(live.get(u)!.map((e) => e.data.messageUId)).toEqual([status.body.messageUId]));
    const after = await api.sendText('ann', 3, 'g1', 'after typing');
    for (const u of online) await eventually(async () => expect(tap(u).types(aboutMessage(after.body.messageUId))).toEqual(['message.sent']));
    expect(live.get('dan')).toEqual([]);
    for (const u of members) expect(tap(u).types(aboutMessage(status.body.messageUId))).toEqual([]);
  });

  it('stores deliveries for a user who left a moment ago, none for one never online', async () => {
    const m = await api.sendText('ann', 3, 'g1', 'for the recent ones');
    await eventually(async () => expect(tap('eve').types(aboutMessage(m.body.messageUId))).toEqual(['message.sent']));
    expect(tap('dan').events).toEqual([]);
  });
});
