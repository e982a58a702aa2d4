import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

/** Message expansions through HTTP: limits at their edges, compare-and-set, events, recall. */
describe('message expansions e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  const updates: any[] = [];
  let uid: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'expansions'] });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.expansions.expansion.updated`, { callback: (_e, m) => void updates.push(m.json()) });
    for (const id of ['ann', 'ben', 'cat']) {
      await api.put(`/v1/users/${id}`, { name: id });
      tokens[id] = (await api.post(`/v1/users/${id}/token`)).body.token;
    }
    await api.put('/v1/groups/gx', { name: 'X', memberIds: ['ann', 'ben'] });
    uid = (await api.sendText('ann', 3, 'gx', 'vote', { canIncludeExpansion: true, expansion: { poll: 'open' } })).body.messageUId;
    expect((await api.get(`/v1/messages/${uid}/expansion`, { token: tokens.ben })).status).toBe(200);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  /** As a user (their token), or with the server key when no user is named. */
  const patch = (body: unknown, user?: string) => api.call('PATCH', `/v1/messages/${uid}/expansion`, body, user ? { token: tokens[user] } : {});
  const keys = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, 'v']));

  it('starts from the initial expansion and returns { k: { v, version, ts } }', async () => {
    const got = await api.get(`/v1/messages/${uid}/expansion`, { token: tokens.ben });
    expect(got.body).toEqual({ poll: { v: 'open', version: 1, ts: expect.any(Number) } });
  });

  it('takes 20 keys per call from a user and refuses 21 whole; 100 with the server key, not 101', async () => {
    expect((await patch({ set: keys(21, 'a') }, 'ben')).body.error.code).toBe('TOO_MANY_KEYS_PER_CALL');
    expect((await patch({ set: keys(20, 'a') }, 'ben')).status).toBe(200);
    expect((await patch({ set: keys(101, 'b') })).status).toBe(422);
    expect((await patch({ set: keys(100, 'b') })).status).toBe(200);
    const got = (await api.get(`/v1/messages/${uid}/expansion`, { token: tokens.ann })).body;
    expect(Object.keys(got)).toHaveLength(121);
  });

  it('holds 300 keys per message and refuses the call that would make 301, changing nothing', async () => {
    await patch({ set: keys(100, 'c') });
    await patch({ set: keys(78, 'd') }); // 121 + 100 + 78 = 299
    expect((await patch({ set: { e0: 'v' } })).status).toBe(200); // 300
    await eventually(async () => expect(updates.some((u) => u.data.updated.e0)).toBe(true));
    const before = updates.length;
    const over = await patch({ set: { e1: 'v', poll: 'closed' } });
    expect([over.status, over.body.error.code]).toEqual([422, 'EXPANSION_KEY_LIMIT']);
    const got = (await api.get(`/v1/messages/${uid}/expansion`)).body;
    expect(Object.keys(got)).toHaveLength(300);
    expect(got.poll.v).toBe('open');
    // Making room in the same call is fine.
    expect((await patch({ set: { e1: 'v' }, remove: ['e0'] })).status).toBe(200);
    await eventually(async () => expect(updates.length).toBe(before + 1));
  });

  it('compares and sets per key: a stale expectedVersion is a 409 with the current values', async () => {
    const ok = await patch({ set: { poll: 'closed' }, expectedVersions: { poll: 1 } }, 'ann');
    expect(ok.body.poll).toMatchObject({ v: 'closed', version: 2 });
    const stale = await patch({ set: { poll: 'reopened' }, expectedVersions: { poll: 1 } }, 'ben');
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'EXPANSION_VERSION_CONFLICT', details: { current: { poll: { v: 'closed', version: 2 } } } });
    // Racing writers with the same expectation: exactly one wins.
    const race = await Promise.all([1, 2, 3].map((i) => patch({ set: { poll: `r${i}` }, expectedVersions: { poll: 2 } }, 'ann')));
    expect(race.map((r) => r.status).sort()).toEqual([200, 409, 409]);
  });

  it('validates keys and values, and keeps strangers and non-extensible messages out', async () => {
    expect((await patch({ set: { 'bad key': 'v' } }, 'ann')).status).toBe(400);
    expect((await patch({ set: { k: 'x'.repeat(4097) } }, 'ann')).status).toBe(400);
    expect((await patch({ set: { k: 'x'.repeat(4096) }, remove: ['e1'] }, 'ann')).status).toBe(200);
    expect((await patch({}, 'ann')).status).toBe(400);
    expect((await patch({ set: { k: 'v' } }, 'cat')).status).toBe(404);
    expect((await api.get(`/v1/messages/${uid}/expansion`, { token: tokens.cat })).status).toBe(404);
    const plain = (await api.sendText('ann', 3, 'gx', 'plain')).body.messageUId;
    await eventually(async () => {
      const r = await api.call('PATCH', `/v1/messages/${plain}/expansion`, { set: { k: 'v' } }, { token: tokens.ann });
      expect([r.status, r.body.error.code]).toEqual([422, 'EXPANSION_NOT_ALLOWED']);
    });
    expect((await api.sendText('ann', 3, 'gx', 'x', { expansion: { k: 'v' } })).body.error.code).toBe('EXPANSION_NOT_ALLOWED');
  });

  it('publishes one expansion.updated per accepted change and shows the expansion in history', async () => {
    const before = updates.length;
    await patch({ set: { mood: 'happy' }, remove: ['a0'] }, 'ben');
    await eventually(async () => expect(updates.length).toBe(before + 1));
    expect(updates[updates.length - 1]).toMatchObject({
      type: 'expansion.updated',
      data: { messageUId: uid, updated: { mood: 'happy' }, removed: ['a0'], cleared: false, operatorId: 'ben', conversationId: '3:gx' },
    });
    await eventually(async () => {
      const m = (await api.get('/v1/conversations/3/gx/messages?limit=100', { as: 'ann' })).body.messages.find((x: { messageUId: string }) => x.messageUId === uid);
      expect(m.expansion.mood).toBe('happy');
      expect(m.expansion.a0).toBeUndefined();
      expect(Object.keys(m.expansion)).toHaveLength(Object.keys((await api.get(`/v1/messages/${uid}/expansion`)).body).length);
    });
  });

  it('clears, and a recalled message loses its expansion', async () => {
    expect((await patch({ clear: true, set: { only: '1' } }, 'ann')).body).toEqual({ only: { v: '1', version: 1, ts: expect.any(Number) } });
    await api.post(`/v1/messages/${uid}/recall`, {}, { as: 'ann' });
    await eventually(async () => expect((await api.get(`/v1/messages/${uid}/expansion`, { token: tokens.ann })).status).toBe(404));
    await eventually(async () => {
      const m = (await api.get('/v1/conversations/3/gx/messages?limit=100', { as: 'ben' })).body.messages.find((x: { messageUId: string }) => x.messageUId === uid);
      expect(m.recalled).toBe(true);
      expect(m.expansion).toBeUndefined();
    });
    await eventually(async () => expect(updates.some((u) => u.data.messageUId === uid && u.data.reason === 'recalled' && u.data.cleared)).toBe(true));
  });
});
