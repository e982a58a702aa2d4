import { connect, NatsConnection, Subscription } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { rebuildProjection } from '@im/eventstore';
import { DB, NATS, SUBJECTS } from '@im/service-kit';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { conversationsProjection } from '../src/conversations/conversations.projection';

/** Messaging end to end: through the gateway over HTTP, over NATS, into Postgres and back. */
describe('messaging e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let sub: Subscription;
  const seen: Array<{ id: string; messageUId: string }> = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    // A plain NATS subscriber, as another service would be.
    sub = nc.subscribe(`${env.prefix}.events.messaging.message.sent`, {
      callback: (_e, m) => {
        const envelope = m.json<{ id: string; data: { messageUId: string } }>();
        seen.push({ id: envelope.id, messageUId: envelope.data.messageUId });
      },
    });
    for (const [id, name] of [['alice', 'Alice'], ['bob', 'Bob'], ['carol', 'Carol'], ['mallory', 'Mallory'], ['sys', 'System']]) {
      expect((await api.put(`/v1/users/${id}`, { name })).status).toBe(200);
    }
    expect((await api.put('/v1/groups/g1', { name: 'Group one', memberIds: ['alice', 'bob', 'carol'] })).status).toBe(200);
  });

  afterAll(async () => {
    sub?.unsubscribe();
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  async function streamCount(): Promise<number> {
    const jsm = await jetstreamManager(nc);
    return (await jsm.streams.info(`${env.prefix}_MESSAGING`.toUpperCase())).state.messages;
  }

  it('sends private and group messages and shows them in history, in order', async () => {
    const p1 = await api.sendText('alice', 1, 'bob', 'hi bob');
    expect(p1.status).toBe(201);
    expect(p1.body.messageUId).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    expect(p1.body.seq).toBe(1);
    expect((await api.sendText('bob', 1, 'alice', 'hi alice')).body.seq).toBe(2);
    expect((await api.sendText('alice', 1, 'bob', 'how are you?')).body.seq).toBe(3);

    const g = [
      await api.sendText('alice', 3, 'g1', 'hello group'),
      await api.sendText('bob', 3, 'g1', '@carol look', { content: { content: '@carol look', mentionedInfo: { type: 2, userIdList: ['carol'] } }, isMentioned: true }),
      await api.sendText('carol', 3, 'g1', '@all meeting', { content: { content: '@all meeting', mentionedInfo: { type: 1 } }, isMentioned: true }),
    ];
    expect(g.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(g.map((r) => r.body.seq)).toEqual([1, 2, 3]);

    const history = await eventually(async () => {
      const h = await api.get('/v1/conversations/1/alice/messages', { as: 'bob' });
      expect(h.body.messages).toHaveLength(3);
      return h.body.messages;
    });
    expect(history.map((m: { seq: number }) => m.seq)).toEqual([3, 2, 1]);
    expect(history[2]).toMatchObject({ senderId: 'alice', targetId: 'alice', objectName: 'RC:TxtMsg', content: { content: 'hi bob' } });

    const page = await api.get('/v1/conversations/3/g1/messages?before=3&limit=1', { as: 'carol' });
    expect(page.body.messages.map((m: { seq: number }) => m.seq)).toEqual([2]);
  });

  it('keeps per-user conversation lists with last message, unread and mention counts', async () => {
    const bob = await eventually(async () => {
      const r = await api.get('/v1/conversations', { as: 'bob' });
      const group = r.body.conversations.find((c: { targetId: string }) => c.targetId === 'g1');
      expect(group?.lastMessage?.seq).toBe(3);
      return r.body.conversations;
    });
    const byTarget = (list: Array<{ targetId: string }>, id: string) => list.find((c) => c.targetId === id) as any;
    // Bob: private with alice (2 from alice), group (alice's and carol's; his own does not count; @all).
    expect(byTarget(bob, 'alice')).toMatchObject({ conversationType: 1, unreadCount: 2, mentionedCount: 0, readSeq: 0 });
    expect(byTarget(bob, 'g1')).toMatchObject({ conversationType: 3, unreadCount: 2, mentionedCount: 1 });
    expect(byTarget(bob, 'g1').lastMessage).toMatchObject({ senderId: 'carol', targetId: 'g1' });
    expect(bob[0].targetId).toBe('g1'); // most recently active first

    const alice = (await api.get('/v1/conversations', { as: 'alice' })).body.conversations;
    expect(byTarget(alice, 'bob')).toMatchObject({ unreadCount: 1, mentionedCount: 0 });
    expect(byTarget(alice, 'g1')).toMatchObject({ unreadCount: 2, mentionedCount: 1 });

    const carol = (await api.get('/v1/conversations', { as: 'carol' })).body.conversations;
    // Carol: mentioned directly by bob; her own @all does not count for her.
    expect(byTarget(carol, 'g1')).toMatchObject({ unreadCount: 2, mentionedCount: 1 });
  });

  it('delivers system messages to the user, who cannot reply', async () => {
    expect((await api.sendText('sys', 6, 'alice', 'welcome')).status).toBe(201);
    const alice = await eventually(async () => {
      const r = await api.get('/v1/conversations', { as: 'alice' });
      const sys = r.body.conversations.find((c: { conversationType: number }) => c.conversationType === 6);
      expect(sys).toBeDefined();
      return sys;
    });
    expect(alice).toMatchObject({ targetId: 'sys', unreadCount: 1 });
    const token = (await api.post('/v1/users/alice/token')).body.token;
    const reply = await api.sendText('alice', 6, 'sys', 'thanks', {}, { token });
    expect(reply.status).toBe(403);
    expect((await api.get('/v1/conversations/6/sys/messages', { token })).body.messages).toHaveLength(1);
  });

  it('creates nothing new when a send is retried with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'pay-42' };
    const first = await api.sendText('alice', 3, 'g1', 'once', {}, { headers });
    const again = await Promise.all([1, 2, 3].map(() => api.sendText('alice', 3, 'g1', 'once', {}, { headers })));
    expect(again.map((r) => r.body)).toEqual([first.body, first.body, first.body]);
    await eventually(async () => {
      const h = await api.get('/v1/conversations/3/g1/messages', { as: 'alice' });
      expect(h.body.messages[0].messageUId).toBe(first.body.messageUId);
    });
    const h = await api.get('/v1/conversations/3/g1/messages', { as: 'alice' });
    expect(h.body.messages.filter((m: { content: { content: string } }) => m.content.content === 'once')).toHaveLength(1);
    // The same key from another sender is another request.
    expect((await api.sendText('bob', 3, 'g1', 'once', {}, { headers })).body.messageUId).not.toBe(first.body.messageUId);
  });

  it('publishes every message exactly once on im.events.messaging.message.sent', async () => {
    const stored = async () => {
      const all = new Set<string>();
      for (const [as, type, target] of [['bob', 1, 'alice'], ['alice', 3, 'g1'], ['alice', 6, 'sys']] as const) {
        const h = await api.get(`/v1/conversations/${type}/${target}/messages?limit=100`, { as });
        h.body.messages.forEach((m: { messageUId: string }) => all.add(m.messageUId));
      }
      return all;
    };
    // History (a projection) and the subscriber both catch up: then they agree, once each.
    await eventually(async () => expect(new Set(seen.map((s) => s.messageUId))).toEqual(await stored()));
    expect(seen).toHaveLength((await stored()).size);
  });

  it('rebuilds the conversations projection from the event log to the same state', async () => {
    const read = async () => ({
      bob: (await api.get('/v1/conversations', { as: 'bob' })).body,
      carol: (await api.get('/v1/conversations', { as: 'carol' })).body,
      history: (await api.get('/v1/conversations/3/g1/messages?limit=100', { as: 'alice' })).body,
    });
    // The projection applies in order: once a fresh message shows, everything before it has.
    const sentinel = await api.sendText('carol', 3, 'g1', 'sentinel');
    await eventually(async () => {
      const h = await api.get('/v1/conversations/3/g1/messages?limit=1', { as: 'alice' });
      expect(h.body.messages[0].messageUId).toBe(sentinel.body.messageUId);
    });
    const before = await read();
    const messaging = stack.services.get('messaging')!;
    await rebuildProjection({
      db: messaging.get(DB),
      jsm: messaging.get(NATS).jsm,
      subjects: messaging.get(SUBJECTS),
      owner: 'messaging',
      projection: conversationsProjection,
    });
    const emptied = await messaging.get(DB).selectFrom('messages').select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirst();
    expect(Number(emptied.n)).toBe(0);
    // The running service notices its consumer is gone, re-creates it and replays everything.
    await eventually(async () => expect(await read()).toEqual(before), 15_000);
  });

  describe('bad input gets a clear 4xx and leaves no trace', () => {
    const huge = 'x'.repeat(200 * 1024);
    const cases: Array<[string, () => Promise<{ status: number; body: any }>, number, string]> = [
      ['missing content', () => api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg' }, { as: 'alice' }), 400, 'VALIDATION_FAILED'],
      ['missing text', () => api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: {} }, { as: 'alice' }), 400, 'VALIDATION_FAILED'],
      ['wrong types', () => api.post('/v1/messages', { conversationType: '1', targetId: 7, objectName: 'RC:TxtMsg', content: { content: 1 } }, { as: 'alice' }), 400, 'VALIDATION_FAILED'],
      ['unknown conversation type', () => api.sendText('alice', 2, 'bob', 'x'), 400, 'VALIDATION_FAILED'],
      ['an unknown ultra group', () => api.sendText('alice', 10, 'room', 'x'), 404, 'NOT_FOUND'],
      ['unknown message type', () => api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'app:nope', content: {} }, { as: 'alice' }), 400, 'UNKNOWN_MESSAGE_TYPE'],
      ['200 KB text', () => api.sendText('alice', 1, 'bob', huge), 413, 'CONTENT_TOO_LARGE'],
      ['a stranger sending into a group', () => api.sendText('mallory', 3, 'g1', 'let me in'), 404, 'NOT_FOUND'],
      ['an unknown group', () => api.sendText('alice', 3, 'nope', 'x'), 404, 'NOT_FOUND'],
      ['an unknown peer', () => api.sendText('alice', 1, 'ghost', 'x'), 404, 'NOT_FOUND'],
      ['a mention in a private conversation', () => api.sendText('alice', 1, 'bob', 'x', { content: { content: 'x', mentionedInfo: { type: 1 } }, isMentioned: true }), 400, 'VALIDATION_FAILED'],
      ['no token', () => api.sendText('alice', 1, 'bob', 'x', {}, { anonymous: true }), 401, 'UNAUTHORIZED'],
      ['a forged token', () => api.sendText('alice', 1, 'bob', 'x', {}, { token: 'v1.eyJzdWIiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OTk5OX0.forged' }), 401, 'UNAUTHORIZED'],
      ['malformed JSON', () => api.post('/v1/messages', undefined, { as: 'alice', raw: '{"conversationType":' }), 400, 'INVALID_JSON'],
      ['server key without X-User-Id', () => api.sendText('', 1, 'bob', 'x'), 400, 'VALIDATION_FAILED'],
      ['an unknown field', () => api.sendText('alice', 1, 'bob', 'x', { colour: 'red' }), 400, 'VALIDATION_FAILED'],
    ];

    it.each(cases)('%s', async (_name, send, status, code) => {
      const before = await streamCount();
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(typeof res.body.error.message).toBe('string');
      expect(await streamCount()).toBe(before);
    });

    it('names the offending fields', async () => {
      const res = await api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 5 } }, { as: 'alice' });
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'content.content' })]);
    });

    it('lets a stranger read neither a group nor someone else\'s private conversation', async () => {
      expect((await api.get('/v1/conversations/3/g1/messages', { as: 'mallory' })).status).toBe(404);
      const token = (await api.post('/v1/users/mallory/token')).body.token;
      expect((await api.get('/v1/conversations/3/g1/messages', { token })).status).toBe(404);
      // Mallory can only ever name her own private conversations; alice-bob stays invisible.
      expect((await api.get('/v1/conversations/1/alice/messages', { token })).body.messages).toEqual([]);
      expect((await api.get('/v1/conversations', { token })).body.conversations).toEqual([]);
    });

    it('refuses user tokens on server-key endpoints', async () => {
      const token = (await api.post('/v1/users/alice/token')).body.token;
      const res = await api.put('/v1/groups/g1', { name: 'mine', memberIds: ['alice'] }, { token });
      expect(res.status).toBe(403);
    });
  });
});
