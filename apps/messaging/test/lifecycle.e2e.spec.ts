import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

/** Recall, streaming, directed messages and quotes, through HTTP, including their races. */
describe('message lifecycle e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let offsetMs = 0;
  const events: Array<{ type: string; data: any }> = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { clock: { now: () => new Date(Date.now() + offsetMs) } });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.messaging.message.>`, { callback: (_e, m) => void events.push(m.json()) });
    for (const id of ['alice', 'bob', 'carol', 'dave']) await api.put(`/v1/users/${id}`, { name: id });
    await api.put('/v1/groups/g', { name: 'G', memberIds: ['alice', 'bob', 'carol'] });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const conversation = async (user: string, targetId = 'g') =>
    (await api.get('/v1/conversations', { as: user })).body.conversations.find((c: { targetId: string }) => c.targetId === targetId);
  const history = async (user: string, path = '3/g') => (await api.get(`/v1/conversations/${path}/messages?limit=100`, { as: user })).body.messages;
  const lastSeen = (user: string, messageUId: string) =>
    eventually(async () => expect((await conversation(user))?.lastMessage?.messageUId).toBe(messageUId));

  describe('recall', () => {
    it('turns the message into a notice, drops it from unread and mention counts, and tells NATS', async () => {
      const kept = await api.sendText('alice', 3, 'g', 'stays');
      const m = await api.sendText('alice', 3, 'g', '@bob oops', { content: { content: '@bob oops', mentionedInfo: { type: 2, userIdList: ['bob'] } }, isMentioned: true });
      await lastSeen('bob', m.body.messageUId);
      const before = await conversation('bob');
      expect(before.mentionedCount).toBe(1);

      const res = await api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'alice' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ messageUId: m.body.messageUId, recalled: true, isDelete: false });
      await eventually(async () => expect((await conversation('bob')).unreadCount).toBe(before.unreadCount - 1));
      const after = await conversation('bob');
      expect(after.mentionedCount).toBe(0);
      expect(after.lastMessage).toMatchObject({ messageUId: m.body.messageUId, objectName: 'RC:RcCmd', recalled: true });
      const shown = (await history('bob')).find((x: { messageUId: string }) => x.messageUId === m.body.messageUId);
      expect(shown).toMatchObject({ objectName: 'RC:RcCmd', recalled: true, content: { originalObjectName: 'RC:TxtMsg', operatorId: 'alice' } });
      expect(JSON.stringify(shown)).not.toContain('oops');
      expect((await history('bob')).map((x: { messageUId: string }) => x.messageUId)).toContain(kept.body.messageUId);
      await eventually(async () =>
        expect(events.filter((e) => e.type === 'message.recalled' && e.data.messageUId === m.body.messageUId)).toHaveLength(1),
      );
    });

    it('lets exactly one of several racing recalls win; the rest get 409', async () => {
      const m = await api.sendText('alice', 3, 'g', 'race');
      const results = await Promise.all(Array.from({ length: 6 }, () => api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'alice' })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409, 409]);
      expect(results.find((r) => r.status === 409)!.body.error.code).toBe('ALREADY_RECALLED');
    });

    it('is 404 for anyone but the sender, and for unknown messages', async () => {
      const m = await api.sendText('alice', 3, 'g', 'mine');
      expect((await api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'bob' })).status).toBe(404);
      expect((await api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'dave' })).status).toBe(404);
      expect((await api.post('/v1/messages/AAAA-BBBB-CCCC-DDDD/recall', {}, { as: 'alice' })).status).toBe(404);
      expect((await api.post('/v1/messages/not-a-uid/recall', {}, { as: 'alice' })).status).toBe(400);
      const token = (await api.post('/v1/users/alice/token')).body.token;
      expect((await api.post(`/v1/messages/${m.body.messageUId}/recall`, { isAdmin: true }, { token })).status).toBe(403);
    });

    it('closes the window for the sender after 120 s but not for the app backend', async () => {
      const m = await api.sendText('alice', 3, 'g', 'old news');
      offsetMs = 121_000;
      try {
        const late = await api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'alice' });
        expect(late.status).toBe(422);
        expect(late.body.error.code).toBe('RECALL_WINDOW_PASSED');
        expect((await api.post(`/v1/messages/${m.body.messageUId}/recall`, { isAdmin: true })).status).toBe(200);
      } finally {
        offsetMs = 0;
      }
      const notice = await eventually(async () => {
        const x = (await history('bob')).find((h: { messageUId: string }) => h.messageUId === m.body.messageUId);
        expect(x.recalled).toBe(true);
        return x;
      });
      expect(notice.content).toMatchObject({ isAdmin: true, operatorId: null });
    });

    it('removes the message from history with isDelete', async () => {
      const m = await api.sendText('alice', 3, 'g', 'erase me');
      await lastSeen('bob', m.body.messageUId);
      await api.post(`/v1/messages/${m.body.messageUId}/recall`, { isDelete: true }, { as: 'alice' });
      await eventually(async () => expect((await history('bob')).map((x: { messageUId: string }) => x.messageUId)).not.toContain(m.body.messageUId));
      expect((await conversation('bob')).lastMessage.messageUId).not.toBe(m.body.messageUId);
    });

    it('leaves a quote of the recalled message its own copy', async () => {
      const original = await api.sendText('alice', 3, 'g', 'quotable');
      const quote = await api.post(
        '/v1/messages',
        { conversationType: 3, targetId: 'g', objectName: 'RC:ReferenceMsg', content: { content: 'agreed', referMsgUserId: 'alice', objName: 'RC:TxtMsg', referMsg: { content: 'quotable' } } },
        { as: 'bob' },
      );
      expect(quote.status).toBe(201);
      await api.post(`/v1/messages/${original.body.messageUId}/recall`, {}, { as: 'alice' });
      await eventually(async () => {
        const h = await history('carol');
        expect(h.find((x: { messageUId: string }) => x.messageUId === original.body.messageUId).recalled).toBe(true);
        expect(h.find((x: { messageUId: string }) => x.messageUId === quote.body.messageUId).content.referMsg).toEqual({ content: 'quotable' });
      });
    });
  });

  describe('streaming', () => {
    const start = (content = 'Hel') =>
      api.post('/v1/messages', { conversationType: 3, targetId: 'g', objectName: 'RC:StreamMsg', content: { content, seq: 1, complete: false } }, { as: 'alice' });
    const chunk = (uid: string, seq: number, content: string, complete = false, as = 'alice') =>
      api.post(`/v1/messages/${uid}/stream`, { content, seq, complete }, { as });

    it('appends consecutive chunks, refuses gaps, duplicates and anything after complete', async () => {
      const s = await start();
      expect(s.status).toBe(201);
      const uid = s.body.messageUId;
      expect((await chunk(uid, 2, 'lo ')).status).toBe(200);
      const dup = await chunk(uid, 2, 'lo ');
      expect(dup.status).toBe(409);
      expect(dup.body.error).toMatchObject({ code: 'STREAM_SEQ_MISMATCH', details: { expectedSeq: 3 } });
      expect((await chunk(uid, 5, 'x')).body.error.details).toEqual({ expectedSeq: 3 });
      expect((await chunk(uid, 3, 'world', true)).body).toEqual({ messageUId: uid, seq: 3, complete: true });
      expect((await chunk(uid, 4, '!')).body.error.code).toBe('STREAM_COMPLETED');
      await eventually(async () => {
        const m = (await history('bob')).find((x: { messageUId: string }) => x.messageUId === uid);
        expect(m.content).toMatchObject({ content: 'Hello world', complete: true, seq: 3 });
      });
      const chunks = events.filter((e) => e.type === 'message.stream.appended' && e.data.messageUId === uid).map((e) => [e.data.seq, e.data.content]);
      expect(chunks).toEqual([[2, 'lo '], [3, 'world']]);
    });

    it('lets exactly one of two clients racing on the same seq win', async () => {
      const uid = (await start()).body.messageUId;
      for (let seq = 2; seq <= 4; seq++) {
        const results = await Promise.all([chunk(uid, seq, `a${seq}`), chunk(uid, seq, `b${seq}`), chunk(uid, seq, `c${seq}`)]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
      }
      await eventually(async () => {
        const m = (await history('bob')).find((x: { messageUId: string }) => x.messageUId === uid);
        expect(m.content.content).toMatch(/^Hel[abc]2[abc]3[abc]4$/);
      });
    });

    it('caps all chunks together at 128 KB and lets only the sender append', async () => {
      const uid = (await start('x'.repeat(100 * 1024))).body.messageUId;
      const big = await chunk(uid, 2, 'y'.repeat(30 * 1024));
      expect(big.status).toBe(413);
      expect((await chunk(uid, 2, 'ok', false, 'bob')).status).toBe(404);
      expect((await chunk(uid, 2, 'ok')).status).toBe(200);
      const text = await api.sendText('alice', 3, 'g', 'plain');
      expect((await chunk(text.body.messageUId, 2, 'x')).body.error.code).toBe('NOT_A_STREAM');
    });
  });

  describe('directed messages', () => {
    it('can be a note only its sender sees, in a private conversation', async () => {
      const note = await api.sendText('alice', 1, 'bob', 'note to self', { directedUserIds: ['alice'] });
      expect(note.status).toBe(201);
      const shared = await api.sendText('alice', 1, 'bob', 'hi bob');
      await eventually(async () => expect((await history('alice', '1/bob')).map((m: { messageUId: string }) => m.messageUId)).toContain(shared.body.messageUId));
      expect((await history('alice', '1/bob')).map((m: { messageUId: string }) => m.messageUId)).toContain(note.body.messageUId);
      await eventually(async () => expect((await history('bob', '1/alice')).map((m: { messageUId: string }) => m.messageUId)).toContain(shared.body.messageUId));
      expect((await history('bob', '1/alice')).map((m: { messageUId: string }) => m.messageUId)).not.toContain(note.body.messageUId);
    });

    it('reach only their recipients and the sender, in history, lists and counts', async () => {
      // Settle what earlier tests sent before taking the counts.
      const settle = await api.sendText('alice', 3, 'g', 'settle');
      await lastSeen('bob', settle.body.messageUId);
      await lastSeen('carol', settle.body.messageUId);
      const carolBefore = await conversation('carol');
      const bobBefore = await conversation('bob');
      const d = await api.sendText('alice', 3, 'g', 'psst bob', { directedUserIds: ['bob'] });
      expect(d.status).toBe(201);
      await lastSeen('bob', d.body.messageUId);
      expect((await conversation('bob')).unreadCount).toBe(bobBefore.unreadCount + 1);
      expect((await conversation('alice')).lastMessage).toMatchObject({ messageUId: d.body.messageUId, directedUserIds: ['bob'] });
      const carol = await conversation('carol');
      expect(carol.unreadCount).toBe(carolBefore.unreadCount);
      expect(carol.lastMessage.messageUId).not.toBe(d.body.messageUId);
      expect((await history('carol')).map((m: { messageUId: string }) => m.messageUId)).not.toContain(d.body.messageUId);
      expect((await history('bob')).map((m: { messageUId: string }) => m.messageUId)).toContain(d.body.messageUId);

      // A later shared message is everyone's last message again.
      const shared = await api.sendText('alice', 3, 'g', 'hello all');
      await lastSeen('carol', shared.body.messageUId);
      await lastSeen('bob', shared.body.messageUId);
    });

    it('must name members of the conversation, and not in system conversations', async () => {
      const outsider = await api.sendText('alice', 3, 'g', 'x', { directedUserIds: ['bob', 'dave'] });
      expect(outsider.status).toBe(422);
      expect(outsider.body.error).toMatchObject({ code: 'DIRECTED_USER_NOT_MEMBER', details: { userIds: ['dave'] } });
      expect((await api.sendText('alice', 1, 'bob', 'x', { directedUserIds: ['carol'] })).status).toBe(422);
      expect((await api.sendText('alice', 6, 'bob', 'x', { directedUserIds: ['bob'] })).status).toBe(400);
    });

    it('counts a directed recall only for its recipients', async () => {
      const d = await api.sendText('alice', 3, 'g', 'for bob only', { directedUserIds: ['bob'] });
      await lastSeen('bob', d.body.messageUId);
      const bob = await conversation('bob');
      await api.post(`/v1/messages/${d.body.messageUId}/recall`, {}, { as: 'alice' });
      await eventually(async () => expect((await conversation('bob')).unreadCount).toBe(bob.unreadCount - 1));
      expect((await conversation('bob')).lastMessage).toMatchObject({ messageUId: d.body.messageUId, recalled: true });
    });
  });
});
