import { RcCmdContent } from '@im/contracts';
import { ApiClient, ApiResponse, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

/**
 * What a RongCloud user expects of groups, recalls, expansions at send, privacy and the
 * conversation list (issue 13: items 2, 4, 8, 9, 14 and member removal), through the gateway.
 */
describe('product gaps e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    // A read naming a seq receipts has not seen waits this long for it (both unknown and stranger).
    process.env.RECEIPTS_AHEAD_WAIT_MS = '200';
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'receipts', 'push', 'expansions'] });
    api = stack.api;
    for (const id of ['ann', 'ben', 'cat', 'dee', 'stan']) {
      await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
      tokens[id] = (await api.post(`/v1/users/${id}/token`)).body.token;
    }
  });

  afterAll(async () => {
    delete process.env.RECEIPTS_AHEAD_WAIT_MS;
    await stack?.close();
    await env?.dispose();
  });

  const send = async (from: string, type: number, to: string, text: string, extra: Record<string, unknown> = {}) => {
    const res = await api.sendText(from, type, to, text, extra);
    expect(res.status).toBe(201);
    return res.body as { messageUId: string; seq: number; sentTime: number };
  };
  const history = async (as: string, path: string) => {
    const res = await api.get(`/v1/conversations/${path}/messages?limit=100`, { as });
    expect(res.status).toBe(200);
    return res.body.messages as any[];
  };
  const conversation = async (as: string, targetId: string) =>
    (await api.get('/v1/conversations?limit=500', { as })).body.conversations.find((c: { targetId: string }) => c.targetId === targetId);

  describe('PUT /v1/groups/{id}', () => {
    it('renames without memberIds and keeps the members; with memberIds sets the full list', async () => {
      expect((await api.put('/v1/groups/club', { name: 'Club', memberIds: ['ann', 'ben', 'cat'] })).body.memberIds).toEqual(['ann', 'ben', 'cat']);
      const renamed = await api.put('/v1/groups/club', { name: 'The Club' });
      expect(renamed.status).toBe(200);
      expect({ ...renamed.body, memberIds: [...renamed.body.memberIds].sort() }).toEqual({ groupId: 'club', name: 'The Club', memberIds: ['ann', 'ben', 'cat'] });
      // Still members: each can send and read.
      for (const m of ['ann', 'ben', 'cat']) await send(m, 3, 'club', `still here: ${m}`);
      expect((await history('cat', '3/club')).map((x) => x.content.content)).toContain('still here: ann');

      const replaced = await api.put('/v1/groups/club', { name: 'The Club', memberIds: ['ann', 'dee'] });
      expect([...replaced.body.memberIds].sort()).toEqual(['ann', 'dee']);
      expect((await api.sendText('ben', 3, 'club', 'me too?')).status).toBe(404);
      await send('dee', 3, 'club', 'joined');
      // A new group named without members is created empty.
      expect((await api.put('/v1/groups/empty', { name: 'Nobody' })).body).toEqual({ groupId: 'empty', name: 'Nobody', memberIds: [] });
    });
  });

  describe('recall notice', () => {
    it("carries RC:RcCmd's seed fields, exactly named, in history and the conversation list", async () => {
      const m = await send('ann', 1, 'ben', 'oops');
      expect((await api.post(`/v1/messages/${m.messageUId}/recall`, {}, { as: 'ann' })).status).toBe(200);
      const notice = await eventually(async () => {
        const shown = (await history('ben', '1/ann')).find((x) => x.messageUId === m.messageUId);
        expect(shown).toMatchObject({ objectName: 'RC:RcCmd', recalled: true });
        return shown;
      });
      expect(Object.keys(notice.content)).toEqual(expect.arrayContaining(['MessageUId', 'TargetId', 'ChannelId', 'SentTime', 'ConversationType', 'isAdmin', 'isDelete']));
      expect(notice.content).toMatchObject({
        MessageUId: m.messageUId,
        TargetId: 'ben',
        ChannelId: '',
        SentTime: m.sentTime,
        ConversationType: 1,
        isAdmin: false,
        isDelete: false,
      });
      for (const own of ['messageUId', 'targetId', 'conversationType']) expect(notice.content).not.toHaveProperty(own);
      // The notice is valid RC:RcCmd content by the catalogue's own schema.
      expect(RcCmdContent.safeParse(notice.content).success).toBe(true);
      expect((await conversation('ben', 'ann')).lastMessage.content).toEqual(notice.content);
    });

    it('says isAdmin for a recall by the app backend, in a group', async () => {
      await api.put('/v1/groups/rc', { name: 'RC', memberIds: ['ann', 'ben'] });
      const m = await send('ann', 3, 'rc', 'admin will take this');
      expect((await api.post(`/v1/messages/${m.messageUId}/recall`, { isAdmin: true })).status).toBe(200);
      await eventually(async () => {
        const shown = (await history('ben', '3/rc')).find((x) => x.messageUId === m.messageUId);
        expect(shown.content).toMatchObject({ MessageUId: m.messageUId, TargetId: 'rc', ChannelId: '', SentTime: m.sentTime, ConversationType: 3, isAdmin: true, isDelete: false });
      });
    });
  });

  describe('expansion sent with the message', () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

    it('has the per-call key limits of PATCH: 20 with a user token, 100 with the server key, the same error, nothing stored', async () => {
      const base = { conversationType: 1, targetId: 'ben', objectName: 'RC:TxtMsg', canIncludeExpansion: true };
      const userSend = (n: number, text: string) => api.post('/v1/messages', { ...base, content: { content: text }, expansion: keys(n) }, { token: tokens.ann });
      const serverSend = (n: number, text: string) => api.post('/v1/messages', { ...base, content: { content: text }, expansion: keys(n) }, { as: 'ann' });

      const ok = await userSend(20, 'twenty');
      expect(ok.status).toBe(201);
      // What PATCH says for 21 keys with a user token is what the send says.
      const patched = await api.call('PATCH', `/v1/messages/${ok.body.messageUId}/expansion`, { set: keys(21) }, { token: tokens.ann });
      const overUser = await userSend(21, 'twenty-one');
      expect([overUser.status, overUser.body.error.code]).toEqual([patched.status, patched.body.error.code]);
      expect(overUser.body.error).toMatchObject({ code: 'TOO_MANY_KEYS_PER_CALL', details: { limit: 20 } });

      expect((await serverSend(100, 'hundred')).status).toBe(201);
      const overServer = await serverSend(101, 'hundred and one');
      expect([overServer.status, overServer.body.error.code, overServer.body.error.details]).toEqual([422, 'TOO_MANY_KEYS_PER_CALL', { limit: 100 }]);

      const sentinel = await send('ann', 1, 'ben', 'after the refusals');
      await eventually(async () => expect((await history('ann', '1/ben'))[0].messageUId).toBe(sentinel.messageUId));
      const texts = (await history('ann', '1/ben')).map((x) => x.content.content);
      expect(texts).toEqual(expect.arrayContaining(['twenty', 'hundred']));
      expect(texts).not.toContain('twenty-one');
      expect(texts).not.toContain('hundred and one');
      const twenty = (await history('ben', '1/ann')).find((x) => x.messageUId === ok.body.messageUId);
      expect(Object.keys(twenty.expansion)).toHaveLength(20);
    });
  });

  describe('privacy of user ids', () => {
    /** The same status and the same body, once the id in it is put aside. */
    const sameAnswer = (a: ApiResponse, b: ApiResponse, ids: [string, string]) => {
      const plain = (r: ApiResponse, id: string) => ({ status: r.status, body: JSON.parse(JSON.stringify(r.body).split(`"${id}"`).join('"<id>"')) });
      expect(plain(a, ids[0])).toEqual(plain(b, ids[1]));
    };

    it('answers an unknown user id exactly as a known stranger, on every private endpoint', async () => {
      const as = { token: tokens.cat };
      const ask: Array<[string, (id: string) => Promise<ApiResponse>]> = [
        ['history with X', (id) => api.get(`/v1/conversations/1/${id}/messages`, as)],
        ['system history with X', (id) => api.get(`/v1/conversations/6/${id}/messages`, as)],
        ['marking read with X', (id) => api.post(`/v1/conversations/1/${id}/read`, {}, as)],
        ['marking read up to a seq with X', (id) => api.post(`/v1/conversations/1/${id}/read`, { seq: 1 }, as)],
        ['muting X', (id) => api.put(`/v1/conversations/1/${id}/notification`, { muted: true }, as)],
        ['unmuting X', (id) => api.put(`/v1/conversations/1/${id}/notification`, { muted: false }, as)],
      ];
      for (const [what, call] of ask) {
        const stranger = await call('stan');
        const unknown = await call('ghost');
        expect(what && stranger.status).toBeLessThan(500);
        sameAnswer(stranger, unknown, ['stan', 'ghost']);
      }
      expect((await api.get('/v1/conversations/1/ghost/messages', as)).body).toEqual({ messages: [], hasMore: false, nextBefore: null });
      // Muted ahead of any message, it is muted when one arrives: the setting is real, not a blind 200.
      expect((await api.put('/v1/conversations/1/stan/notification', { muted: true }, as)).body).toEqual({ conversationType: 1, targetId: 'stan', muted: true });
    });

    it("answers someone else's message exactly as an unknown one", async () => {
      const theirs = await send('ann', 1, 'ben', 'not for cat', { needReadReceipt: true, canIncludeExpansion: true });
      const unknown = 'AAAA-BBBB-CCCC-DDDD';
      const as = { token: tokens.cat };
      const ask: Array<(uid: string) => Promise<ApiResponse>> = [
        (uid) => api.get(`/v1/receipts?messageUIds=${uid}`, as),
        (uid) => api.get(`/v1/messages/${uid}/readers?filter=read`, as),
        (uid) => api.post('/v1/receipts', { messageUIds: [uid] }, as),
        (uid) => api.get(`/v1/messages/${uid}/expansion`, as),
        (uid) => api.post(`/v1/messages/${uid}/recall`, {}, as),
      ];
      for (const call of ask) sameAnswer(await call(theirs.messageUId), await call(unknown), [theirs.messageUId, unknown]);
    });
  });

  describe('member removal', () => {
    it('stops a removed member sending, reading new history and counting unread', async () => {
      await api.put('/v1/groups/crew', { name: 'Crew', memberIds: ['ann', 'ben', 'cat'] });
      await send('ann', 3, 'crew', 'before');
      await eventually(async () => expect((await conversation('cat', 'crew'))?.unreadCount).toBe(1));
      const removed = await api.delete('/v1/groups/crew/members/cat');
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ groupId: 'crew', removed: ['cat'] });
      expect((await api.delete('/v1/groups/crew/members/cat')).status).toBe(404);

      const refused = await api.sendText('cat', 3, 'crew', 'let me back');
      expect([refused.status, refused.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect((await api.post('/v1/messages', { conversationType: 3, targetId: 'crew', objectName: 'RC:TxtMsg', content: { content: 'x' } }, { token: tokens.cat })).status).toBe(404);
      const after = await send('ann', 3, 'crew', 'after');
      expect((await api.get('/v1/conversations/3/crew/messages', { token: tokens.cat })).status).toBe(404);
      expect((await api.post('/v1/conversations/3/crew/read', {}, { token: tokens.cat })).status).toBe(404);
      // The sentinel: ben's list has the later message, so the removal (committed before it) is applied too.
      await eventually(async () => expect((await conversation('ben', 'crew')).lastMessage.messageUId).toBe(after.messageUId));
      const mine = await conversation('cat', 'crew');
      expect(mine?.unreadCount ?? 1).toBe(1);
      expect(mine?.lastMessage?.messageUId).not.toBe(after.messageUId);
      expect((await history('ben', '3/crew')).map((x) => x.content.content)).toEqual(['after', 'before']);
    });
  });

  describe('conversation list pages', () => {
    const peers = Array.from({ length: 23 }, (_, i) => `peer${String(i).padStart(2, '0')}`);

    beforeAll(async () => {
      for (const p of peers) await api.put(`/v1/users/${p}`, { name: p });
      await api.put('/v1/users/owner', { name: 'Owner' });
      for (const p of peers) await send(p, 1, 'owner', `from ${p}`);
      await eventually(async () => expect((await api.get('/v1/conversations?limit=1', { as: 'owner' })).body.conversations[0].targetId).toBe(peers.at(-1)));
    });

    const page = async (limit: number, cursor: string | null) => {
      const res = await api.get(`/v1/conversations?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as: 'owner' });
      expect(res.status).toBe(200);
      return res.body as { conversations: Array<{ targetId: string; lastMessage: { sentTime: number } }>; nextCursor: string | null };
    };

    it('walks every page newest first, with no duplicates and no gaps', async () => {
      const seen: Array<{ targetId: string; lastMessage: { sentTime: number } }> = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const p = await page(5, cursor);
        expect(p.conversations.length).toBeLessThanOrEqual(5);
        seen.push(...p.conversations);
        cursor = p.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(5);
      expect(seen.map((c) => c.targetId)).toHaveLength(peers.length);
      expect(new Set(seen.map((c) => c.targetId)).size).toBe(peers.length);
      expect([...seen.map((c) => c.targetId)].sort()).toEqual(peers);
      const times = seen.map((c) => c.lastMessage.sentTime);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('keeps its place when a conversation already listed becomes active again', async () => {
      const first = await page(10, null);
      const top = first.conversations[0].targetId;
      const latest = await send(top, 1, 'owner', 'again');
      await eventually(async () => expect((await page(1, null)).conversations[0]).toMatchObject({ targetId: top, lastMessage: { messageUId: latest.messageUId } }));
      const rest: string[] = [];
      let cursor = first.nextCursor;
      while (cursor) {
        const p = await page(10, cursor);
        rest.push(...p.conversations.map((c) => c.targetId));
        cursor = p.nextCursor;
      }
      expect(rest).not.toContain(top);
      expect([...first.conversations.map((c) => c.targetId), ...rest].sort()).toEqual(peers);
    });

    it('allows 1 to 500 per page (default 100) and refuses a foreign cursor', async () => {
      expect((await api.get('/v1/conversations', { as: 'owner' })).body.conversations).toHaveLength(peers.length);
      expect((await api.get('/v1/conversations?limit=500', { as: 'owner' })).status).toBe(200);
      for (const bad of ['limit=0', 'limit=501', 'limit=ten', 'cursor=not-a-cursor']) {
        const res = await api.get(`/v1/conversations?${bad}`, { as: 'owner' });
        expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'VALIDATION_FAILED']);
      }
    });
  });
});
