import { PushPayload, PushView, Subjects } from '@im/contracts';
import { PresenceBoard, PresenceReporter } from '@im/realtime';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { PUSH_PRESENCE } from '../src/pushes/push.worker';
import { browserSubscription, LOOPBACK_NETWORKS, Receivers, signatureValid, withHeader } from '@im/stack';

/**
 * Push delivery end to end: who is pushed, with which title, text and badge, over a signed
 * webhook (with retries) and Web Push, exactly once per message per device.
 */
describe('push e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let gateway: PresenceReporter;
  let base: string;
  const receivers = new Receivers();
  const wes = browserSubscription('');
  const secret = (u: string) => `secret-of-${u}-0123456789`;
  const webhook = (u: string, path = `/${u}`) => api.post('/v1/devices', { deviceId: `${u}-phone`, platform: 'webhook', url: `${base}${path}`, secret: secret(u) }, { as: u });

  beforeAll(async () => {
    env = await createTestEnv();
    base = await receivers.start();
    // The retry delay outlasts a read's way to the push service even on a loaded CI machine. The
    // receivers run on loopback, which the push service reaches only when allowed by name.
    const push = { scanMs: 50, retryBaseMs: 1500, maxAttempts: 3, allowedNetworks: LOOPBACK_NETWORKS };
    stack = await startStack(env, { only: ['messaging', 'receipts', 'push'], settings: { push } });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    const users = { alice: 'Alice', bob: 'Bob', carol: 'Carol', flo: 'Flo', dee: 'Dee', wes: 'Wes', rita: 'Rita', rex: 'Rex' };
    for (const [id, name] of Object.entries(users)) await api.put(`/v1/users/${id}`, { name });
    await api.put('/v1/groups/team', { name: 'Team', memberIds: ['alice', 'bob', 'carol'] });
    gateway = new PresenceReporter(nc, new Subjects(env.prefix), 'gw-test');
    gateway.start();
    gateway.opened('carol');
    const board = stack.services.get('push')!.get<PresenceBoard>(PUSH_PRESENCE);
    await eventually(async () => expect(board.isOnline('carol')).toBe(true));
    for (const u of ['bob', 'carol', 'rita', 'rex']) expect((await webhook(u)).status).toBe(201);
    expect((await webhook('flo', '/flaky')).status).toBe(201);
    expect((await webhook('dee', '/down')).status).toBe(201);
    receivers.script('/flaky', [500, 500, 200]);
    receivers.script('/down', [500]);
    receivers.script('/rita', [500, 200]);
    receivers.script('/rex', [500, 200]);
    Object.assign(wes.subscription, { endpoint: `${base}/wp/wes` });
    expect((await api.post('/v1/devices', { deviceId: 'wes-browser', platform: 'webpush', subscription: wes.subscription }, { as: 'wes' })).status).toBe(201);
    // Push learns the group from messaging's events.
    expect((await api.put('/v1/conversations/3/team/notification', { muted: false }, { as: 'bob' })).status).toBe(200);
  });

  afterAll(async () => {
    gateway?.stop();
    await nc?.close();
    await stack?.close();
    await receivers.stop();
    await env?.dispose();
  });

  const pushesAt = (path: string): PushPayload[] => receivers.at(path).map((r) => JSON.parse(r.body.toString('utf8')));
  const pushOf = async (path: string, messageUId: string, kind = 'message') =>
    eventually(async () => {
      const got = pushesAt(path).filter((p) => p.messageUId === messageUId && p.data.kind === kind);
      expect(got).toHaveLength(1);
      return got[0];
    });
  const unreadTotal = async (u: string) =>
    ((await api.get('/v1/conversations', { as: u })).body.conversations as Array<{ unreadCount: number }>).reduce((s, c) => s + c.unreadCount, 0);
  const records = async (u: string) => (await api.get(`/v1/admin/pushes?userId=${u}`)).body.pushes as PushView[];

  it('pushes a private text once, signed, titled with the sender, with the unread total as badge', async () => {
    const sent = await api.sendText('alice', 1, 'bob', 'hello bob');
    const push = await pushOf('/bob', sent.body.messageUId);
    expect(push).toMatchObject({ userId: 'bob', deviceId: 'bob-phone', conversationType: 1, targetId: 'alice', title: 'Alice', body: 'hello bob' });
    expect(push.data).toMatchObject({ kind: 'message', senderId: 'alice', objectName: 'RC:TxtMsg', seq: sent.body.seq });
    expect(push.badge).toBe(await unreadTotal('bob'));
    expect(push.badge).toBeGreaterThan(0);
    const raw = receivers.at('/bob').find((r) => JSON.parse(r.body.toString()).messageUId === sent.body.messageUId)!;
    expect(signatureValid(raw, secret('bob'))).toBe(true);
    expect(signatureValid(raw, 'another-secret-0123456789')).toBe(false);
    expect(raw.headers['x-push-id']).toBe(push.data.pushId);
    expect(raw.headers['x-signature-id']).toBe(push.data.pushId);
    expect(raw.headers['webhook-id']).toBe(push.data.pushId);
    // The signature covers id and timestamp: the same body under another id or time fails, and a
    // receiver refuses it once the timestamp is older than its tolerance.
    const ts = Number(raw.headers['x-signature-timestamp']);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(60);
    expect(raw.headers['webhook-timestamp']).toBe(String(ts));
    expect(signatureValid(withHeader(raw, 'x-signature-timestamp', String(ts + 1)), secret('bob'))).toBe(false);
    expect(signatureValid(withHeader(raw, 'x-signature-id', `${push.data.pushId}0`), secret('bob'))).toBe(false);
    expect(signatureValid(raw, secret('bob'), ts + 301)).toBe(false);
    // The Standard Webhooks header carries the same HMAC in base64.
    const hex = String(raw.headers['x-signature']).slice('sha256='.length);
    expect(raw.headers['webhook-signature']).toBe(`v1,${Buffer.from(hex, 'hex').toString('base64')}`);
  });

  it('pushes a group image as "Sender: [Image]" under the group name, and not to a member online', async () => {
    const img = await api.post('/v1/messages', { conversationType: 3, targetId: 'team', objectName: 'RC:ImgMsg', content: { content: 'aGVsbG8=', imageUri: 'https://img.example/1.jpg' } }, { as: 'alice' });
    expect(img.status).toBe(201);
    const push = await pushOf('/bob', img.body.messageUId);
    expect(push).toMatchObject({ conversationType: 3, targetId: 'team', title: 'Team', body: 'Alice: [Image]' });
    expect(push.badge).toBe(await unreadTotal('bob'));
    expect(receivers.at('/carol')).toEqual([]);
    expect(await records('carol')).toEqual([]);
  });

  it('pushes a mention in a muted group with its mentionedContent, and nothing else from it', async () => {
    expect((await api.put('/v1/conversations/3/team/notification', { muted: true }, { as: 'bob' })).body).toEqual({ conversationType: 3, targetId: 'team', muted: true });
    await eventually(async () => {
      const team = (await api.get('/v1/conversations', { as: 'bob' })).body.conversations.find((c: { targetId: string }) => c.targetId === 'team');
      expect(team.muted).toBe(true);
    });
    const quiet = await api.sendText('alice', 3, 'team', 'not for bob');
    const mention = await api.sendText('alice', 3, 'team', '@Bob look (no mentionedInfo)');
    const mentioned = await api.post(
      '/v1/messages',
      { conversationType: 3, targetId: 'team', objectName: 'RC:TxtMsg', content: { content: '@Bob look', mentionedInfo: { type: 2, userIdList: ['bob'], mentionedContent: 'Alice mentioned you' } }, isMentioned: true },
      { as: 'alice' },
    );
    const push = await pushOf('/bob', mentioned.body.messageUId);
    expect(push).toMatchObject({ title: 'Team', body: 'Alice mentioned you' });
    const silenced = [quiet.body.messageUId, mention.body.messageUId];
    expect((await records('bob')).filter((p) => silenced.includes(p.messageUId))).toEqual([]);
    expect(pushesAt('/bob').filter((p) => silenced.includes(p.messageUId))).toEqual([]);
    await api.put('/v1/conversations/3/team/notification', { muted: false }, { as: 'bob' });
  });

  it('pushes a file as "[File] name"', async () => {
    const file = await api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'RC:FileMsg', content: { name: 'report.pdf', size: 1234, type: 'pdf', fileUrl: 'https://files.example/report.pdf' } }, { as: 'alice' });
    expect((await pushOf('/bob', file.body.messageUId)).body).toBe('[File] report.pdf');
  });

  it('follows a pushed message that is recalled with "recalled a message"', async () => {
    const sent = await api.sendText('alice', 1, 'bob', 'oops');
    await pushOf('/bob', sent.body.messageUId);
    expect((await api.post(`/v1/messages/${sent.body.messageUId}/recall`, {}, { as: 'alice' })).status).toBe(200);
    const recall = await pushOf('/bob', sent.body.messageUId, 'recall');
    expect(recall).toMatchObject({ title: 'Alice', body: 'recalled a message', targetId: 'alice', data: { kind: 'recall' } });
  });

  it('retries a receiver that fails twice and delivers on the third try', async () => {
    const sent = await api.sendText('alice', 1, 'flo', 'third time lucky');
    await eventually(async () => expect((await records('flo'))[0]?.status).toBe('sent'));
    const [p] = await records('flo');
    expect(p.attempts.map((a) => [a.outcome, a.httpStatus])).toEqual([['retry', 500], ['retry', 500], ['sent', 200]]);
    expect(p.attempts[2].at - p.attempts[1].at).toBeGreaterThanOrEqual(p.attempts[1].at - p.attempts[0].at);
    const tries = pushesAt('/flaky');
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.data.pushId)).size).toBe(1);
    expect(tries[0].messageUId).toBe(sent.body.messageUId);
  });

  it('records a push as failed after the last try', async () => {
    await api.sendText('alice', 1, 'dee', 'into the void');
    await eventually(async () => expect((await records('dee'))[0]?.status).toBe('failed'));
    const [p] = await records('dee');
    expect(p.attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'failed']);
    expect(p.reason).toBe('HTTP 500');
    expect(receivers.at('/down')).toHaveLength(3);
  });

  it('does not send a retry once the message was read or recalled meanwhile', async () => {
    const toRita = await api.sendText('alice', 1, 'rita', 'read it in the app');
    const toRex = await api.sendText('alice', 1, 'rex', 'never mind');
    receivers.onRequest = async (r) => {
      if (r.path === '/rita' && receivers.at('/rita').length === 1) await api.post('/v1/conversations/1/alice/read', {}, { as: 'rita' });
      if (r.path === '/rex' && receivers.at('/rex').length === 1) await api.post(`/v1/messages/${toRex.body.messageUId}/recall`, {}, { as: 'alice' });
    };
    await eventually(async () => expect((await records('rita'))[0]).toMatchObject({ messageUId: toRita.body.messageUId, status: 'skipped', reason: 'read' }));
    await eventually(async () => expect((await records('rex')).find((p) => p.kind === 'message')).toMatchObject({ status: 'skipped', reason: 'recalled' }));
    // Rex could see the message, so the recall reaches him though its push never did.
    await eventually(async () => expect((await records('rex')).find((p) => p.kind === 'recall')).toMatchObject({ status: 'sent' }));
    receivers.onRequest = undefined;
    expect(receivers.at('/rita')).toHaveLength(1);
    expect(pushesAt('/rex').map((p) => [p.messageUId, p.data.kind])).toEqual([
      [toRex.body.messageUId, 'message'],
      [toRex.body.messageUId, 'recall'],
    ]);
  });

  it('sends Web Push: the payload decrypts to the push', async () => {
    const sent = await api.sendText('alice', 1, 'wes', 'hi from the web');
    await eventually(async () => expect(receivers.at('/wp/wes')).toHaveLength(1));
    const [req] = receivers.at('/wp/wes');
    expect(req.headers['content-encoding']).toBe('aes128gcm');
    expect(String(req.headers.authorization)).toMatch(/^vapid t=.+, k=.+/);
    const push = JSON.parse(wes.decrypt(req.body)) as PushPayload;
    expect(push).toMatchObject({ userId: 'wes', deviceId: 'wes-browser', messageUId: sent.body.messageUId, title: 'Alice', body: 'hi from the web', badge: 1 });
    const key = (await api.get('/v1/devices/webpush-key', { as: 'wes' })).body.publicKey;
    expect(String(req.headers.authorization)).toContain(`k=${key}`);
  });

  it('pushed every message at most once per device', () => {
    const seen = receivers.received.filter((r) => r.path === '/bob').map((r) => JSON.parse(r.body.toString()) as PushPayload);
    const keys = seen.map((p) => `${p.messageUId}:${p.data.kind}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBe(6);
  });

  it('validates devices and keeps push records for operators', async () => {
    expect((await api.post('/v1/devices', { deviceId: 'x', platform: 'webhook', url: 'ftp://nope', secret: 'short' }, { as: 'bob' })).status).toBe(400);
    expect((await api.post('/v1/devices', { deviceId: 'x', platform: 'carrier-pigeon' }, { as: 'bob' })).status).toBe(400);
    expect((await api.delete('/v1/devices/nope', { as: 'bob' })).status).toBe(404);
    expect((await api.put('/v1/conversations/3/nope/notification', { muted: true }, { as: 'bob' })).status).toBe(404);
    const token = (await api.post('/v1/users/bob/token')).body.token;
    expect((await api.get('/v1/admin/pushes?userId=bob', { token })).status).toBe(403);
    expect((await api.get('/v1/admin/pushes')).status).toBe(400);
    expect((await api.delete('/v1/devices/carol-phone', { as: 'carol' })).body).toEqual({ deviceId: 'carol-phone', removed: true });
  });
});
