import { PushPayload, PushView, Subjects } from '@im/contracts';
import { PresenceBoard, PresenceReporter } from '@im/realtime';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { PUSH_PRESENCE } from '../src/pushes/push.worker';
import { LOOPBACK_NETWORKS, Receivers } from '@im/stack';

/**
 * What follows a message's push: its recall (to every offline recipient who could see it, pushed
 * or not, with the recall's own pushContent) and a stream's one push with the text so far (on
 * `complete`, or a while after the first chunk). The stack's clock is moved to reach that while;
 * the delay is a minute, so nothing else than completion or the moved clock can send it.
 */
describe('push follow-ups e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let gateway: PresenceReporter;
  let board: PresenceBoard;
  let offsetMs = 0;
  const STREAM_DELAY_MS = 60_000;
  const receivers = new Receivers();

  beforeAll(async () => {
    env = await createTestEnv();
    const base = await receivers.start();
    const push = { scanMs: 50, streamPushDelayMs: STREAM_DELAY_MS, allowedNetworks: LOOPBACK_NETWORKS };
    stack = await startStack(env, { only: ['messaging', 'receipts', 'push'], clock: { now: () => new Date(Date.now() + offsetMs) }, settings: { push } });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    const users = { alice: 'Alice', bob: 'Bob', carol: 'Carol', dan: 'Dan' };
    await api.post('/v1/users/batch', { users: Object.entries(users).map(([userId, name]) => ({ userId, name })) });
    expect((await api.put('/v1/groups/team', { name: 'Team', memberIds: ['alice', 'bob', 'carol', 'dan'] })).status).toBe(200);
    for (const u of ['bob', 'carol', 'dan']) {
      const res = await api.post('/v1/devices', { deviceId: `${u}-phone`, platform: 'webhook', url: `${base}/${u}`, secret: `secret-of-${u}-0123456789` }, { as: u });
      expect(res.status).toBe(201);
    }
    gateway = new PresenceReporter(nc, new Subjects(env.prefix), 'gw-test');
    gateway.start();
    board = stack.services.get('push')!.get<PresenceBoard>(PUSH_PRESENCE);
  });

  afterAll(async () => {
    gateway?.stop();
    await nc?.close();
    await stack?.close();
    await receivers.stop();
    await env?.dispose();
  });

  const pushesTo = (u: string, messageUId: string, kind: 'message' | 'recall' = 'message'): PushPayload[] =>
    receivers
      .at(`/${u}`)
      .map((r) => JSON.parse(r.body.toString('utf8')) as PushPayload)
      .filter((p) => p.messageUId === messageUId && p.data.kind === kind);
  const pushOf = (u: string, messageUId: string, kind: 'message' | 'recall' = 'message') =>
    eventually(async () => {
      const got = pushesTo(u, messageUId, kind);
      expect(got).toHaveLength(1);
      return got[0];
    });
  const records = async (u: string, messageUId: string) =>
    ((await api.get(`/v1/admin/pushes?userId=${u}&limit=500`)).body.pushes as PushView[]).filter((p) => p.messageUId === messageUId);
  const sent = async (res: { status: number; body: { messageUId: string } }): Promise<string> => {
    expect(res.status).toBe(201);
    return res.body.messageUId;
  };
  /** A text after everything before it: once its push is in, the planner has handled what came before. */
  const sentinel = async (u: string) => pushOf(u, await sent(await api.sendText('alice', 1, u, 'sentinel')));
  const recall = (uid: string, body: Record<string, unknown> = {}) => api.post(`/v1/messages/${uid}/recall`, body, { as: 'alice' });
  const setOnline = async (u: string, online: boolean) => {
    if (online) gateway.opened(u);
    else gateway.closed(u);
    await eventually(async () => expect(board.isOnline(u)).toBe(online));
  };

  describe('recall', () => {
    it('reaches a recipient who was online at send (never pushed the message) and is offline now', async () => {
      await setOnline('bob', true);
      const uid = await sent(await api.sendText('alice', 1, 'bob', 'seen live'));
      // carol's push of a later message proves the planner is past bob's (none planned: online).
      await sentinel('carol');
      expect(await records('bob', uid)).toEqual([]);
      await setOnline('bob', false);
      expect((await recall(uid)).status).toBe(200);
      expect(await pushOf('bob', uid, 'recall')).toMatchObject({ title: 'Alice', body: 'recalled a message', targetId: 'alice', data: { kind: 'recall', objectName: 'RC:TxtMsg' } });
      expect(pushesTo('bob', uid)).toEqual([]);
    });

    it("pushes the recall's pushContent instead, to every member offline, named with the sender in groups", async () => {
      const uid = await sent(await api.sendText('alice', 3, 'team', 'wrong group'));
      for (const u of ['bob', 'carol', 'dan']) await pushOf(u, uid);
      await setOnline('dan', true);
      expect((await recall(uid, { pushContent: 'Alice took a message back' })).status).toBe(200);
      for (const u of ['bob', 'carol']) expect(await pushOf(u, uid, 'recall')).toMatchObject({ title: 'Team', body: 'Alice: Alice took a message back' });
      await sentinel('carol');
      expect((await records('dan', uid)).map((p) => p.kind)).toEqual(['message']);
      await setOnline('dan', false);
    });

    it('reaches only the recipients of a directed message', async () => {
      const uid = await sent(await api.sendText('alice', 3, 'team', 'for carol', { directedUserIds: ['carol'] }));
      await pushOf('carol', uid);
      expect((await recall(uid)).status).toBe(200);
      expect((await pushOf('carol', uid, 'recall')).body).toBe('Alice: recalled a message');
      await sentinel('bob');
      await sentinel('dan');
      expect(await records('bob', uid)).toEqual([]);
      expect(await records('dan', uid)).toEqual([]);
    });

    it('refuses a pushContent that is not a string, recalling nothing', async () => {
      const uid = await sent(await api.sendText('alice', 1, 'bob', 'keep me'));
      const res = await recall(uid, { pushContent: 42 });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      const history = (await api.get('/v1/conversations/1/alice/messages?limit=5', { as: 'bob' })).body.messages as Array<{ messageUId: string; recalled?: boolean }>;
      expect(history.find((m) => m.messageUId === uid)?.recalled ?? false).toBe(false);
    });
  });

  describe('RC:StreamMsg', () => {
    const start = (target: number, to: string, text: string) =>
      api.post('/v1/messages', { conversationType: target, targetId: to, objectName: 'RC:StreamMsg', content: { content: text, complete: false, seq: 1 } }, { as: 'alice' });
    const append = (uid: string, seq: number, content: string, complete = false) => api.post(`/v1/messages/${uid}/stream`, { content, seq, complete }, { as: 'alice' });

    it('pushes the whole text once, when the stream completes before the delay', async () => {
      const uid = await sent(await start(1, 'bob', 'Hel'));
      expect((await append(uid, 2, 'lo, ')).status).toBeLessThan(300);
      await sentinel('bob');
      expect(pushesTo('bob', uid)).toEqual([]);
      expect((await records('bob', uid)).map((p) => p.status)).toEqual(['pending']);
      expect((await append(uid, 3, 'world', true)).status).toBeLessThan(300);
      expect(await pushOf('bob', uid)).toMatchObject({ title: 'Alice', body: 'Hello, world', data: { objectName: 'RC:StreamMsg' } });
      await sentinel('bob');
      expect(pushesTo('bob', uid)).toHaveLength(1);
    });

    it('pushes the text so far when the delay after the first chunk passes first, and nothing more at completion', async () => {
      const uid = await sent(await start(3, 'team', 'Part one'));
      expect((await append(uid, 2, ', part two')).status).toBeLessThan(300);
      await sentinel('carol');
      expect(pushesTo('carol', uid)).toEqual([]);
      offsetMs += STREAM_DELAY_MS;
      expect(await pushOf('carol', uid)).toMatchObject({ title: 'Team', body: 'Alice: Part one, part two' });
      expect((await append(uid, 3, ', part three', true)).status).toBeLessThan(300);
      await sentinel('carol');
      expect(pushesTo('carol', uid)).toHaveLength(1);
      expect((await records('carol', uid)).map((p) => [p.status, p.body])).toEqual([['sent', 'Alice: Part one, part two']]);
    });

    it('keeps pushContent and mentionedContent as given while the stream grows', async () => {
      const res = await api.post(
        '/v1/messages',
        {
          conversationType: 3,
          targetId: 'team',
          objectName: 'RC:StreamMsg',
          content: { content: 'Draft', complete: false, seq: 1, mentionedInfo: { type: 2, userIdList: ['dan'], mentionedContent: 'Dan, a draft for you' } },
          pushContent: 'A draft is coming',
          isMentioned: true,
        },
        { as: 'alice' },
      );
      const uid = await sent(res);
      expect((await append(uid, 2, ' and more', true)).status).toBeLessThan(300);
      expect((await pushOf('dan', uid)).body).toBe('Dan, a draft for you');
      expect((await pushOf('bob', uid)).body).toBe('Alice: A draft is coming');
    });
  });
});
