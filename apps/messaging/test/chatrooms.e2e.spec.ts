import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, createTestEnv, eventually, SseClient, SseEvent, startStack, TestEnv, TestStack } from '@im/stack';

/**
 * Chatrooms through the gateway, the whole stack running (PRODUCT.md "Chatrooms", issue 16):
 * join, live delivery to members' streams, history for a late joiner, leave; attributes with
 * their overwrite, ownership, limit and autoDelete rules, each announced in the room by an
 * RC:chrmKVNotiMsg and on NATS as chatroom.attribute.changed.
 */
describe('chatrooms e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  const changes: any[] = [];
  const tokens: Record<string, string> = {};
  const open: SseClient[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.messaging.chatroom.attribute.changed`, { callback: (_e, m) => void changes.push(m.json()) });
    for (const id of ['ann', 'bob', 'cat', 'dan', 'eve']) {
      await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
      tokens[id] = (await api.post(`/v1/users/${id}/token`)).body.token;
    }
    expect((await api.put('/v1/chatrooms/live', { name: 'Live' })).status).toBe(200);
  });

  afterAll(async () => {
    open.forEach((c) => c.close());
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const as = (user: string) => ({ token: tokens[user] });
  const join = (user: string, room = 'live') => api.post(`/v1/chatrooms/${room}/members`, undefined, as(user));
  const say = (user: string, text: string, room = 'live') =>
    api.post('/v1/messages', { conversationType: 4, targetId: room, objectName: 'RC:TxtMsg', content: { content: text } }, as(user));
  const history = async (user: string, room = 'live') => (await api.get(`/v1/conversations/4/${room}/messages?limit=100`, as(user))).body.messages as any[];
  const setAttr = (user: string, key: string, body: Record<string, unknown>) => api.put(`/v1/chatrooms/live/attributes/${key}`, body, as(user));
  const stream = async (user: string) => {
    const c = new SseClient(`${api.baseUrl}/v1/stream?deviceId=${user}-web`, { authorization: `Bearer ${tokens[user]}` });
    await c.open();
    open.push(c);
    return c;
  };
  const seen = (c: SseClient, pred: (data: any) => boolean): Promise<SseEvent> =>
    eventually(async () => {
      const e = c.events.find((x) => x.event === 'message.sent' && pred(x.data.data));
      expect(e).toBeDefined();
      return e!;
    });
  /** Attribute notices in the room's history, oldest first. */
  const notices = async () => (await history('ann')).filter((m) => m.objectName === 'RC:chrmKVNotiMsg').reverse().map((m) => m.content);

  it('is created with the server key only; a user token is 403, a stranger sees one 404 for it and for no room', async () => {
    expect((await api.put('/v1/chatrooms/mine', { name: 'Mine' }, as('ann'))).status).toBe(403);
    expect((await api.get('/v1/chatrooms/live', as('ann'))).body.error.code).toBe('NOT_FOUND');
    const nowhere = await api.get('/v1/chatrooms/nowhere', as('ann'));
    expect([nowhere.status, nowhere.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await api.get('/v1/chatrooms/live')).body).toEqual({ chatroomId: 'live', name: 'Live', memberCount: 0 });
  });

  it('lets members join, send and read; a non-member can neither send nor read', async () => {
    const joined = await join('ann');
    expect(joined.status).toBe(200);
    expect(joined.body).toMatchObject({ chatroomId: 'live', name: 'Live', memberCount: 1, messages: [] });
    expect((await join('bob')).body.memberCount).toBe(2);
    expect((await join('bob')).body.memberCount).toBe(2); // joining again changes nothing
    expect((await say('cat', 'let me in')).status).toBe(404);
    expect((await api.get('/v1/conversations/4/live/messages', as('cat'))).status).toBe(404);
  });

  it("delivers a message live to every member's stream, stores it for history, and never lists or counts it", async () => {
    const annStream = await stream('ann');
    const bobStream = await stream('bob');
    // The push service learns of a stream from the gateway's presence: wait until both are heard.
    let uid = '';
    await eventually(async () => {
      const sent = await say('ann', 'hello room');
      expect(sent.status).toBe(201);
      uid = sent.body.messageUId;
      await Promise.all([seen(annStream, (d) => d.messageUId === uid), seen(bobStream, (d) => d.messageUId === uid)].map((p) => withTimeout(p, 1000)));
    }, 15_000);
    const atBob = bobStream.events.find((e) => e.data.data?.messageUId === uid)!;
    expect(atBob.data.data).toMatchObject({ conversationType: 4, targetId: 'live', senderId: 'ann', content: { content: 'hello room' } });
    expect((await history('bob')).map((m) => m.messageUId)).toContain(uid);
    const list = (await api.get('/v1/conversations', as('bob'))).body.conversations as any[];
    expect(list.filter((c) => c.conversationType === 4)).toEqual([]);
  });

  it('gives a late joiner the latest 50 messages, newest first', async () => {
    for (let i = 0; i < 55; i++) expect((await say('bob', `m${i}`)).status).toBe(201);
    const late = await join('cat');
    expect(late.status).toBe(200);
    expect(late.body.messages).toHaveLength(50);
    expect(late.body.messages[0].content).toEqual({ content: 'm54' });
    expect(late.body.messages[49].content).toEqual({ content: 'm5' });
  });

  it('sets an attribute, announced in the room with the seed content and on NATS', async () => {
    const set = await setAttr('ann', 'host', { value: 'Ann', notificationExtra: 'hi' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ key: 'host', value: 'Ann', userId: 'ann' });
    await eventually(async () => expect(await notices()).toContainEqual({ type: 1, key: 'host', value: 'Ann', extra: 'hi' }));
    await eventually(async () =>
      expect(changes.map((e) => e.data)).toContainEqual(expect.objectContaining({ chatroomId: 'live', type: 1, key: 'host', value: 'Ann', userId: 'ann', extra: 'hi' })),
    );
    expect((await api.get('/v1/chatrooms/live/attributes', as('bob'))).body.attributes.host).toMatchObject({ value: 'Ann', userId: 'ann' });
  });

  it("refuses to overwrite another user's key with overwrite false (409), and changes nothing", async () => {
    const refused = await setAttr('bob', 'host', { value: 'Bob', overwrite: false });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'ATTRIBUTE_SET_BY_OTHER']);
    expect((await api.get('/v1/chatrooms/live/attributes', as('bob'))).body.attributes.host.value).toBe('Ann');
    // With overwrite (the default) the last accepted write wins.
    expect((await setAttr('bob', 'host', { value: 'Bob' })).status).toBe(200);
    expect((await api.get('/v1/chatrooms/live/attributes', as('ann'))).body.attributes.host).toMatchObject({ value: 'Bob', userId: 'bob' });
  });

  it('lets a user delete only the keys they set; the server key deletes any', async () => {
    expect((await setAttr('ann', 'topic', { value: 'news' })).status).toBe(200);
    const denied = await api.delete('/v1/chatrooms/live/attributes/topic', as('bob'));
    expect([denied.status, denied.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await api.delete('/v1/chatrooms/live/attributes/topic', as('ann'))).status).toBe(200);
    expect((await api.delete('/v1/chatrooms/live/attributes/host', { as: 'ann' })).status).toBe(200); // bob's key, by the server key
    expect((await api.delete('/v1/chatrooms/live/attributes/host', as('ann'))).status).toBe(404);
    await eventually(async () => {
      const n = await notices();
      expect(n).toContainEqual({ type: 2, key: 'topic', value: 'news', extra: '' });
      expect(n).toContainEqual({ type: 2, key: 'host', value: 'Bob', extra: '' });
    });
  });

  it('refuses the 101st key (422) and a malformed key or an oversized value (400)', async () => {
    const existing = Object.keys((await api.get('/v1/chatrooms/live/attributes', as('ann'))).body.attributes).length;
    for (let i = existing; i < 100; i++) expect((await setAttr('ann', `k${i}`, { value: String(i) })).status).toBe(200);
    const full = await setAttr('ann', 'one-too-many', { value: 'x' });
    expect([full.status, full.body.error.code]).toEqual([422, 'CHATROOM_ATTRIBUTES_FULL']);
    expect((await setAttr('ann', 'k1', { value: 'changed' })).status).toBe(200); // an existing key still changes
    expect((await setAttr('ann', 'bad key!', { value: 'x' })).status).toBe(400);
    expect((await setAttr('ann', 'k2', { value: 'x'.repeat(4097) })).status).toBe(400);
    expect(Object.keys((await api.get('/v1/chatrooms/live/attributes', as('ann'))).body.attributes)).toHaveLength(100);
    for (let i = 0; i < 100; i++) await api.delete(`/v1/chatrooms/live/attributes/k${i}`, { as: 'ann' });
  });

  it('orders concurrent writers of one key: the last accepted write is the value, and the last notice says so', async () => {
    const writers = ['ann', 'bob', 'cat'];
    const results = await Promise.all(writers.flatMap((u) => [1, 2, 3].map((i) => setAttr(u, 'race', { value: `${u}-${i}` }))));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    const final = (await api.get('/v1/chatrooms/live/attributes', as('ann'))).body.attributes.race.value;
    await eventually(async () => {
      const raceNotices = (await notices()).filter((n) => n.key === 'race');
      expect(raceNotices).toHaveLength(9);
      expect(raceNotices[8].value).toBe(final);
    });
  });

  it("deletes a member's autoDelete keys when they leave, announced like any deletion; their other keys stay", async () => {
    expect((await join('dan')).status).toBe(200);
    expect((await setAttr('dan', 'seat', { value: '12', autoDelete: true })).status).toBe(200);
    expect((await setAttr('dan', 'badge', { value: 'gold' })).status).toBe(200);
    expect((await api.delete('/v1/chatrooms/live/members/me', as('dan'))).status).toBe(200);
    const attributes = (await api.get('/v1/chatrooms/live/attributes', as('ann'))).body.attributes;
    expect(Object.keys(attributes).filter((k) => k === 'seat' || k === 'badge')).toEqual(['badge']);
    await eventually(async () => expect(await notices()).toContainEqual({ type: 2, key: 'seat', value: '12', extra: '' }));
    // Gone means gone: no more sending or reading, and leaving again is 404.
    expect((await say('dan', 'still here?')).status).toBe(404);
    expect((await api.delete('/v1/chatrooms/live/members/me', as('dan'))).status).toBe(404);
  });

  it('is deleted with the server key: its members and attributes go, and it is 404 afterwards', async () => {
    expect((await api.put('/v1/chatrooms/brief', { name: 'Brief' })).status).toBe(200);
    expect((await join('eve', 'brief')).status).toBe(200);
    expect((await api.delete('/v1/chatrooms/brief', as('eve'))).status).toBe(403);
    expect((await api.delete('/v1/chatrooms/brief')).status).toBe(200);
    expect((await api.get('/v1/chatrooms/brief')).status).toBe(404);
    expect((await say('eve', 'anyone?', 'brief')).status).toBe(404);
    expect((await api.delete('/v1/chatrooms/brief')).status).toBe(404);
  });
});

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms))]);
}
