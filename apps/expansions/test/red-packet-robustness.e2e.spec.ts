import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { DROPPED_NOTICES, DroppedNotices } from '../src/red-packets/dropped-notices';

/**
 * Red packets against a world that moved on: a sender who left the group, members who try to
 * write the packet's own expansion keys, and a message filled to its key limit.
 */
describe('red packets accept the world as it is (e2e)', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  const updates: Array<{ data: { messageUId: string; updated: Record<string, string>; removed: string[]; cleared: boolean; reason: string } }> = [];
  const PACKET_KEYS = ['open', 'count', 'amount', 'claimed', 'status'];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'expansions'] });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.expansions.expansion.updated`, { callback: (_e, m) => void updates.push(m.json()) });
    for (const id of ['sa', 'a1', 'a2', 'sb', 'b1', 'sc', 'c1', 'c2', 'c3']) await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
    await api.put('/v1/groups/ga', { name: 'A', memberIds: ['sa', 'a1', 'a2'] });
    await api.put('/v1/groups/gb', { name: 'B', memberIds: ['sb', 'b1'] });
    await api.put('/v1/groups/gc', { name: 'C', memberIds: ['sc', 'c1', 'c2', 'c3'] });
    // The expansions service learns membership from messaging's events.
    for (const [group, member] of [['ga', 'a2'], ['gb', 'b1'], ['gc', 'c3']]) {
      await eventually(async () => {
        const probe = await create(member, { conversationType: 3, targetId: group, totalAmount: 1, count: 1, mode: 'fixed' });
        expect(probe.status).toBe(201);
      });
    }
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const create = (as: string, body: Record<string, unknown>) => api.post('/v1/red-packets', { currency: 'CNY', mode: 'random', ...body }, { as });
  const claim = (id: string, as: string) => api.post(`/v1/red-packets/${id}/claims`, undefined, { as });
  const patch = (uid: string, body: unknown, as?: string) => api.call('PATCH', `/v1/messages/${uid}/expansion`, body, as ? { as } : {});
  const expansionOf = async (uid: string) => (await api.get(`/v1/messages/${uid}/expansion`)).body as Record<string, { v: string; version: number }>;
  const notices = async (as: string, group: string) =>
    ((await api.get(`/v1/conversations/3/${group}/messages?limit=100`, { as })).body.messages as any[])
      .filter((m) => m.objectName === 'RC:InfoNtf')
      .map((m) => m.content.message as string);
  const keys = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));
  const values = (x: Record<string, { v: string }>) => Object.fromEntries(Object.entries(x).map(([k, e]) => [k, e.v]));

  it('drops the notice to a sender who left, keeps the claim and the money, and later notices still arrive', async () => {
    const dropped = stack.services.get('expansions')!.get<DroppedNotices>(DROPPED_NOTICES);
    const before = dropped.total;
    const p1 = (await create('sa', { conversationType: 3, targetId: 'ga', totalAmount: 100, count: 2 })).body;
    expect((await api.delete('/v1/groups/ga/members/sa')).status).toBeLessThan(300);

    const got = await claim(p1.redPacketId, 'a1');
    expect(got.status).toBe(200);
    const state = (await api.get(`/v1/red-packets/${p1.redPacketId}`)).body;
    expect(state.claims).toEqual([expect.objectContaining({ userId: 'a1', amount: got.body.amount })]);
    expect(state.remainingAmount + got.body.amount).toBe(100);

    // A packet in another group, claimed afterwards: its notices come through the same projection.
    const p2 = (await create('sb', { conversationType: 3, targetId: 'gb', totalAmount: 10, count: 1 })).body;
    expect((await claim(p2.redPacketId, 'b1')).status).toBe(200);
    await eventually(async () => {
      expect(await notices('sb', 'gb')).toEqual(['B1 claimed your red packet']);
      expect(await notices('b1', 'gb')).toEqual(['You claimed the red packet from SB']);
    });
    // The claimer of the first packet still got theirs; the one to the departed sender was dropped, once.
    expect(await notices('a1', 'ga')).toEqual(['You claimed the red packet from SA']);
    expect(dropped.total - before).toBe(1);
    await eventually(async () => expect(values(await expansionOf(p1.messageUId))).toMatchObject({ claimed: '1', status: 'partial', open: 'false' }));
    const after = (await api.get(`/v1/red-packets/${p1.redPacketId}`)).body;
    expect({ remaining: after.remainingAmount, claims: after.claims }).toEqual({ remaining: state.remainingAmount, claims: state.claims });
  });

  it("refuses every write of the packet's own keys, by a member, the key acting for one or the key alone, and changes nothing", async () => {
    const p = (await create('sc', { conversationType: 3, targetId: 'gc', totalAmount: 30, count: 3 })).body;
    await eventually(async () => expect(Object.keys(await expansionOf(p.messageUId)).sort()).toEqual([...PACKET_KEYS].sort()));
    // Its five keys arrive in one announcement (the initial expansion or the packet's own, whichever runs first).
    await eventually(async () => expect(updates.filter((u) => u.data.messageUId === p.messageUId)).toHaveLength(1));
    const token = (await api.post('/v1/users/c1/token')).body.token;
    const before = await expansionOf(p.messageUId);
    const seen = updates.length;
    const attempts: Array<[unknown, string | undefined, string | undefined]> = [];
    for (const k of PACKET_KEYS) {
      attempts.push([{ set: { [k]: 'hacked' } }, 'c1', undefined], [{ remove: [k] }, 'c1', undefined], [{ set: { [k]: 'x' } }, undefined, token], [{ remove: [k] }, undefined, token]);
      attempts.push([{ remove: [k] }, undefined, undefined], [{ set: { mine: '1', [k]: 'x' } }, 'c2', undefined]);
    }
    attempts.push([{ clear: true }, 'c1', undefined], [{ clear: true }, undefined, token], [{ clear: true, set: { mine: '1' } }, undefined, undefined]);
    for (const [body, as, tok] of attempts) {
      const r = await api.call('PATCH', `/v1/messages/${p.messageUId}/expansion`, body, tok ? { token: tok } : as ? { as } : {});
      expect({ body, status: r.status, code: r.body.error?.code }).toEqual({ body, status: 422, code: 'RESERVED_EXPANSION_KEY' });
    }
    expect(await expansionOf(p.messageUId)).toEqual(before);
    // A member's own keys are still welcome on the packet's message.
    expect((await patch(p.messageUId, { set: { thanks: 'c1' } }, 'c1')).status).toBe(200);
    await eventually(async () => {
      const later = updates.slice(seen).filter((u) => u.data.messageUId === p.messageUId);
      expect(later.map((u) => u.data)).toEqual([expect.objectContaining({ updated: { thanks: 'c1' }, removed: [], cleared: false })]);
    });
  });

  it("keeps room for the packet's keys: a member fills the message to the limit, every claim still updates the packet", async () => {
    const p = (await create('sc', { conversationType: 3, targetId: 'gc', totalAmount: 60, count: 3 })).body;
    await eventually(async () => expect(Object.keys(await expansionOf(p.messageUId))).toHaveLength(5));
    // The way the issue wedged it: take the packet's `claimed` away, then fill the room it left.
    expect((await patch(p.messageUId, { remove: ['claimed'] }, 'c1')).body.error?.code).toBe('RESERVED_EXPANSION_KEY');
    // 300 keys per message, five of them the packet's: 295 are left for members.
    for (const [n, prefix] of [[100, 'a'], [100, 'b'], [95, 'c']] as const) expect((await patch(p.messageUId, { set: keys(n, prefix) }, 'c1')).status).toBe(200);
    const over = await patch(p.messageUId, { set: { one: 'more' } }, 'c2');
    expect([over.status, over.body.error?.code]).toEqual([422, 'EXPANSION_KEY_LIMIT']);

    const shares = [];
    for (const u of ['c1', 'c2', 'c3']) {
      const r = await claim(p.redPacketId, u);
      expect(r.status).toBe(200);
      shares.push(r.body.amount);
    }
    expect(shares.reduce((s, a) => s + a, 0)).toBe(60);
    await eventually(async () => {
      const x = await expansionOf(p.messageUId);
      expect(Object.keys(x)).toHaveLength(300);
      expect(values(x)).toMatchObject({ open: 'true', count: '3', amount: '60', claimed: '3', status: 'claimed', c94: 'v' });
    });
    await eventually(async () => {
      const msg = ((await api.get('/v1/conversations/3/gc/messages?limit=100', { as: 'c2' })).body.messages as any[]).find((m) => m.messageUId === p.messageUId);
      expect(msg.expansion).toMatchObject({ open: 'true', claimed: '3', status: 'claimed' });
    });
    expect((await api.get(`/v1/red-packets/${p.redPacketId}`)).body).toMatchObject({ status: 'claimed', remainingAmount: 0, remainingCount: 0 });
  });
});
