import { BUILT_IN_MESSAGE_TYPES, MAX_PUSH_DATA_BYTES, PushPayload, PushView } from '@im/contracts';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { VALID_CONTENT } from '../../../libs/contracts/src/message-fixtures';
import { browserSubscription, LOOPBACK_NETWORKS, Receivers } from '@im/stack';

/**
 * The push rules through the gateway: the text of every catalogued type, the send's push options,
 * mentions (mentionedContent exactly as given; who counts as mentioned), commands pushed only with
 * pushContent, directed messages, and pushData carried to webhook and Web Push devices. Nobody
 * here has a live stream, so everyone with a device is a push recipient.
 */
describe('push rules e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let base: string;
  const receivers = new Receivers();
  const wes = browserSubscription('');
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    env = await createTestEnv();
    base = await receivers.start();
    stack = await startStack(env, { only: ['messaging', 'receipts', 'push'], settings: { push: { scanMs: 50, streamPushDelayMs: 300, allowedNetworks: LOOPBACK_NETWORKS } } });
    api = stack.api;
    const users = { alice: 'Alice', bob: 'Bob', carol: 'Carol', dan: 'Dan', wes: 'Wes' };
    await api.post('/v1/users/batch', { users: Object.entries(users).map(([userId, name]) => ({ userId, name })) });
    expect((await api.put('/v1/groups/team', { name: 'Team', memberIds: ['alice', 'bob', 'carol', 'dan'] })).status).toBe(200);
    for (const u of ['bob', 'carol', 'dan']) {
      const res = await api.post('/v1/devices', { deviceId: `${u}-phone`, platform: 'webhook', url: `${base}/${u}`, secret: `secret-of-${u}-0123456789` }, { as: u });
      expect(res.status).toBe(201);
    }
    Object.assign(wes.subscription, { endpoint: `${base}/wp/wes` });
    expect((await api.post('/v1/devices', { deviceId: 'wes-browser', platform: 'webpush', subscription: wes.subscription }, { as: 'wes' })).status).toBe(201);
    for (const u of ['alice', 'bob']) tokens[u] = (await api.post(`/v1/users/${u}/token`)).body.token;
  });

  afterAll(async () => {
    await stack?.close();
    await receivers.stop();
    await env?.dispose();
  });

  const pushesTo = (u: string): PushPayload[] => receivers.at(`/${u}`).map((r) => JSON.parse(r.body.toString('utf8')));
  const pushOf = (u: string, messageUId: string) =>
    eventually(async () => {
      const got = pushesTo(u).filter((p) => p.messageUId === messageUId && p.data.kind === 'message');
      expect(got).toHaveLength(1);
      return got[0];
    });
  const records = async (u: string) => (await api.get(`/v1/admin/pushes?userId=${u}&limit=500`)).body.pushes as PushView[];
  const send = (from: string, type: number, target: string, objectName: string, content: unknown, extra: Record<string, unknown> = {}, opts: { token?: string } = {}) =>
    api.post('/v1/messages', { conversationType: type, targetId: target, objectName, content, ...extra }, opts.token ? { token: opts.token } : { as: from });
  const sent = async (res: Awaited<ReturnType<typeof send>>): Promise<string> => {
    expect(res.status).toBe(201);
    return res.body.messageUId;
  };

  /**
   * Proves that none of `messageUIds` was planned for `users`: a text sent after them reaches each
   * user's device, and the planner handles messaging's events in order, so by then a push of any of
   * them would be recorded.
   */
  const expectNoPush = async (messageUIds: string[], users: string[]) => {
    const sentinel = await sent(await api.sendText('alice', 3, 'team', 'sentinel'));
    for (const u of users) {
      await pushOf(u, sentinel);
      expect((await records(u)).filter((p) => messageUIds.includes(p.messageUId))).toEqual([]);
      expect(pushesTo(u).filter((p) => messageUIds.includes(p.messageUId))).toEqual([]);
    }
  };

  const mentionedCount = async (u: string) =>
    ((await api.get('/v1/conversations', { as: u })).body.conversations as Array<{ targetId: string; mentionedCount: number }>).find((c) => c.targetId === 'team')!.mentionedCount;

  describe('the default text of every catalogued type (PRODUCT.md, "default push text")', () => {
    /** PRODUCT.md's catalogue table, transcribed: null is "none". RC:RcCmd is the recall's push. */
    const PRODUCT_TABLE: Record<string, string | null> = {
      'RC:TxtMsg': 'the text',
      'RC:ReferenceMsg': 'the text',
      'RC:ImgMsg': '[Image]',
      'RC:GIFMsg': '[Image]',
      'RC:HQVCMsg': '[Voice]',
      'RC:FileMsg': '[File] plus the file name',
      'RC:SightMsg': '[Video]',
      'RC:LBSMsg': '[Location]',
      'RC:CombineMsg': '[Chat History]',
      'RC:ImgTextMsg': '[Rich Content]',
      'RC:StreamMsg': 'the text so far',
      'RC:InfoNtf': null,
      'RC:CmdMsg': null,
      'RC:RcCmd': 'recalled a message',
      'RC:ReadNtf': null,
      'RC:RRReqMsg': null,
      'RC:RRRspMsg': null,
      'RC:SRSMsg': null,
      'RC:chrmKVNotiMsg': null,
    };
    /** What the table's words come to for the seed's example content of each type. */
    const expected = (objectName: string): string | null => {
      const row = PRODUCT_TABLE[objectName];
      const content = VALID_CONTENT[objectName];
      if (row === 'the text' || row === 'the text so far') return String(content.content);
      if (row === '[File] plus the file name') return `[File] ${String(content.name)}`;
      return row;
    };

    it('lists exactly the types the catalogue has', () => {
      expect([...BUILT_IN_MESSAGE_TYPES.keys()].sort()).toEqual(Object.keys(PRODUCT_TABLE).sort());
    });

    it('pushes each sendable type with its default text, and nothing for the "none" types', async () => {
      const silent: string[] = [];
      for (const [objectName, def] of BUILT_IN_MESSAGE_TYPES) {
        if (objectName === 'RC:RcCmd') continue; // produced by a recall: below
        const res = await send('alice', 1, 'bob', objectName, VALID_CONTENT[objectName]);
        if (def.producedBy) {
          // The receipt signals come from their own endpoints, never from a send, and are never pushed.
          expect({ objectName, status: res.status }).toEqual({ objectName, status: 422 });
          expect(expected(objectName)).toBeNull();
          continue;
        }
        const uid = await sent(res);
        const text = expected(objectName);
        if (text === null) silent.push(uid);
        else expect({ objectName, body: (await pushOf('bob', uid)).body }).toEqual({ objectName, body: text });
      }
      await expectNoPush(silent, ['bob']);
    });

    it('pushes a recall (RC:RcCmd) as "recalled a message"', async () => {
      const uid = await sent(await api.sendText('alice', 1, 'bob', 'take me back'));
      await pushOf('bob', uid);
      expect((await api.post(`/v1/messages/${uid}/recall`, {}, { as: 'alice' })).status).toBe(200);
      const recall = await eventually(async () => {
        const got = pushesTo('bob').filter((p) => p.messageUId === uid && p.data.kind === 'recall');
        expect(got).toHaveLength(1);
        return got[0];
      });
      expect(recall.body).toBe(expected('RC:RcCmd'));
    });
  });

  describe('push options', () => {
    it('titles with pushTitle, drops the title with disablePushTitle (even over pushTitle)', async () => {
      const titled = await sent(await api.sendText('alice', 1, 'bob', 'a', { pushTitle: 'From the shop' }));
      const untitled = await sent(await api.sendText('alice', 1, 'bob', 'b', { disablePushTitle: true }));
      const both = await sent(await api.sendText('alice', 3, 'team', 'c', { pushTitle: 'Ignored', disablePushTitle: true }));
      const plain = await sent(await api.sendText('alice', 3, 'team', 'd'));
      expect(await pushOf('bob', titled)).toMatchObject({ title: 'From the shop', body: 'a' });
      expect(await pushOf('bob', untitled)).toMatchObject({ title: null, body: 'b' });
      expect(await pushOf('bob', both)).toMatchObject({ title: null, body: 'Alice: c' });
      expect(await pushOf('bob', plain)).toMatchObject({ title: 'Team', body: 'Alice: d' });
    });

    it('pushes pushContent instead of the default text (named with the sender in groups)', async () => {
      const img = { content: 'aGVsbG8=', imageUri: 'https://img.example/1.jpg' };
      const priv = await sent(await send('alice', 1, 'bob', 'RC:ImgMsg', img, { pushContent: 'A photo for you' }));
      const group = await sent(await send('alice', 3, 'team', 'RC:ImgMsg', img, { pushContent: 'A photo for the team' }));
      expect(await pushOf('bob', priv)).toMatchObject({ title: 'Alice', body: 'A photo for you' });
      expect(await pushOf('carol', group)).toMatchObject({ title: 'Team', body: 'Alice: A photo for the team' });
    });

    it('pushes nothing with disablePush', async () => {
      const priv = await sent(await api.sendText('alice', 1, 'bob', 'quiet', { disablePush: true }));
      const group = await sent(await api.sendText('alice', 3, 'team', 'quiet all', { disablePush: true, pushContent: 'still quiet' }));
      await expectNoPush([priv, group], ['bob', 'carol', 'dan']);
    });

    it('pushes a directed message only to its recipients', async () => {
      const uid = await sent(await api.sendText('alice', 3, 'team', 'just for bob', { directedUserIds: ['bob'] }));
      expect(await pushOf('bob', uid)).toMatchObject({ title: 'Team', body: 'Alice: just for bob' });
      await expectNoPush([uid], ['carol', 'dan']);
    });
  });

  describe('mentions', () => {
    const mention = (text: string, userIds: string[], mentionedContent?: string) => ({
      content: text,
      mentionedInfo: { type: 2, userIdList: userIds, ...(mentionedContent ? { mentionedContent } : {}) },
    });

    it('pushes mentionedContent to the mentioned exactly as given, over pushContent; others get pushContent', async () => {
      const before = await mentionedCount('bob');
      const uid = await sent(await send('alice', 3, 'team', 'RC:TxtMsg', mention('@Bob look', ['bob'], 'Alice needs you'), { pushContent: 'New in Team' }, { token: tokens.alice }));
      expect(await pushOf('bob', uid)).toMatchObject({ title: 'Team', body: 'Alice needs you' });
      expect(await pushOf('carol', uid)).toMatchObject({ title: 'Team', body: 'Alice: New in Team' });
      await eventually(async () => expect(await mentionedCount('bob')).toBe(before + 1));
    });

    it('with a user token, mentions unless isMentioned is false', async () => {
      const before = await mentionedCount('bob');
      const off = await sent(await send('alice', 3, 'team', 'RC:TxtMsg', mention('@Bob fyi', ['bob'], 'not a mention'), { isMentioned: false }, { token: tokens.alice }));
      expect((await pushOf('bob', off)).body).toBe('Alice: @Bob fyi');
      const on = await sent(await send('alice', 3, 'team', 'RC:TxtMsg', mention('@Bob now', ['bob'], 'a mention'), {}, { token: tokens.alice }));
      expect((await pushOf('bob', on)).body).toBe('a mention');
      await eventually(async () => expect(await mentionedCount('bob')).toBe(before + 1));
    });

    it('with the server key, mentions only with isMentioned: true (otherwise mentionedInfo is ignored)', async () => {
      const before = await mentionedCount('dan');
      const ignored = await sent(await send('alice', 3, 'team', 'RC:TxtMsg', mention('@Dan hi', ['dan'], 'ignored')));
      expect((await pushOf('dan', ignored)).body).toBe('Alice: @Dan hi');
      const marked = await sent(await send('alice', 3, 'team', 'RC:TxtMsg', mention('@Dan hi again', ['dan'], 'Dan, you are wanted'), { isMentioned: true }));
      expect((await pushOf('dan', marked)).body).toBe('Dan, you are wanted');
      await eventually(async () => expect(await mentionedCount('dan')).toBe(before + 1));
      // Ignored mentionedInfo is kept in the content, as sent.
      const history = (await api.get('/v1/conversations/3/team/messages?limit=5', { as: 'dan' })).body.messages as Array<{ messageUId: string; content: unknown }>;
      expect(history.find((m) => m.messageUId === ignored)?.content).toMatchObject({ mentionedInfo: { mentionedContent: 'ignored' } });
    });

    it('lets a mention through a mute, and only the mention', async () => {
      expect((await api.put('/v1/conversations/3/team/notification', { muted: true }, { token: tokens.bob })).status).toBe(200);
      await eventually(async () => {
        const team = (await api.get('/v1/conversations', { as: 'bob' })).body.conversations.find((c: { targetId: string }) => c.targetId === 'team');
        expect(team.muted).toBe(true);
      });
      const quiet = await sent(await api.sendText('alice', 3, 'team', 'bob is muted'));
      const loud = await sent(await send('alice', 3, 'team', 'RC:TxtMsg', mention('@Bob urgent', ['bob']), { isMentioned: true }));
      expect((await pushOf('bob', loud)).body).toBe('Alice: @Bob urgent');
      expect((await records('bob')).filter((p) => p.messageUId === quiet)).toEqual([]);
      await api.put('/v1/conversations/3/team/notification', { muted: false }, { token: tokens.bob });
    });
  });

  describe('commands and other messages that are not stored', () => {
    beforeAll(async () => {
      expect((await api.put('/v1/message-types/app:ping', { isPersisted: false, isCounted: false, isStatus: false })).status).toBeLessThan(300);
      expect((await api.put('/v1/message-types/app:typing', { isPersisted: false, isCounted: false, isStatus: true })).status).toBeLessThan(300);
    });

    it('pushes RC:CmdMsg with pushContent to the offline recipients, and not without', async () => {
      const cmd = VALID_CONTENT['RC:CmdMsg'];
      const priv = await sent(await send('alice', 1, 'bob', 'RC:CmdMsg', cmd, { pushContent: 'Incoming call' }));
      const group = await sent(await send('alice', 3, 'team', 'RC:CmdMsg', cmd, { pushContent: 'Team call' }));
      const silent = await sent(await send('alice', 1, 'bob', 'RC:CmdMsg', cmd));
      const push = await pushOf('bob', priv);
      expect(push).toMatchObject({ title: 'Alice', body: 'Incoming call', targetId: 'alice', data: { kind: 'message', objectName: 'RC:CmdMsg', seq: null } });
      expect(await pushOf('carol', group)).toMatchObject({ title: 'Team', body: 'Alice: Team call' });
      await expectNoPush([silent], ['bob']);
    });

    it('pushes a custom non-stored type with pushContent, and not without; a status type never', async () => {
      const withText = await sent(await send('alice', 1, 'bob', 'app:ping', { at: 1 }, { pushContent: 'Ping!' }));
      const without = await sent(await send('alice', 1, 'bob', 'app:ping', { at: 2 }));
      const status = await sent(await send('alice', 1, 'bob', 'app:typing', { at: 3 }, { pushContent: 'typing…' }));
      expect(await pushOf('bob', withText)).toMatchObject({ body: 'Ping!', data: { objectName: 'app:ping', seq: null } });
      await expectNoPush([without, status], ['bob']);
    });
  });

  describe('pushData', () => {
    it('carries the send\'s pushData as the webhook\'s data.pushData, and null without one', async () => {
      const withData = await sent(await api.sendText('alice', 1, 'bob', 'your order', { pushData: '{"orderId":"42"}' }));
      const without = await sent(await api.sendText('alice', 1, 'bob', 'no data'));
      expect((await pushOf('bob', withData)).data).toMatchObject({ kind: 'message', pushData: '{"orderId":"42"}' });
      expect((await pushOf('bob', without)).data.pushData).toBeNull();
    });

    it('carries it in the Web Push payload too', async () => {
      const uid = await sent(await api.sendText('alice', 1, 'wes', 'for the browser', { pushData: 'open=chat' }));
      const push = await eventually(async () => {
        const got = receivers.at('/wp/wes').map((r) => JSON.parse(wes.decrypt(r.body)) as PushPayload).filter((p) => p.messageUId === uid);
        expect(got).toHaveLength(1);
        return got[0];
      });
      expect(push).toMatchObject({ body: 'for the browser', data: { pushData: 'open=chat' } });
    });

    it('refuses pushData that is not a string or is over the size cap, storing nothing', async () => {
      const history = async () => (await api.get('/v1/conversations/1/bob/messages?limit=100', { as: 'alice' })).body.messages.length;
      const before = await history();
      const over = 'é'.repeat(MAX_PUSH_DATA_BYTES / 2 + 1); // within the cap in characters, over it in bytes
      for (const pushData of [{ orderId: 42 }, 42, over]) {
        const res = await api.sendText('alice', 1, 'bob', 'bad data', { pushData });
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'pushData' })] });
      }
      expect((await api.sendText('alice', 1, 'bob', 'at the cap', { pushData: 'x'.repeat(MAX_PUSH_DATA_BYTES) })).status).toBe(201);
      await eventually(async () => expect(await history()).toBe(before + 1));
    });
  });
});
