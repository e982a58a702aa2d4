import { PostSendDelivery } from '@im/contracts';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { LOOPBACK_NETWORKS, Receivers, signatureValid } from '@im/stack';

/**
 * The post-send callback end to end: configured through the gateway (server key only, the url
 * checked by the outbound address policy, event types checked against the contracts), then each
 * matching event POSTed to a local app server, signed, in order per conversation, retried with
 * the same id until it succeeds.
 */
describe('post-send callback e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let base: string;
  const receivers = new Receivers();
  const secret = 'app-server-secret-0123456789';
  const deliveries = (path: string) => receivers.at(path).map((r) => JSON.parse(r.body.toString('utf8')) as PostSendDelivery & { data: { messageUId: string } });

  beforeAll(async () => {
    env = await createTestEnv();
    base = await receivers.start();
    // The app server runs on loopback, which push reaches only when allowed by name.
    const push = { scanMs: 50, callbackRetryBaseMs: 300, callbackMaxAttempts: 5, allowedNetworks: LOOPBACK_NETWORKS };
    stack = await startStack(env, { settings: { push } });
    api = stack.api;
    for (const u of ['alice', 'bob', 'carol']) await api.put(`/v1/users/${u}`, { name: u });
  });

  afterAll(async () => {
    await stack?.close();
    await receivers.stop();
    await env?.dispose();
  });

  it('is the server key only, and refuses a bad url, secret or event type before storing anything', async () => {
    const token = (await api.post('/v1/users/alice/token')).body.token as string;
    const ok = { url: `${base}/post`, secret, events: ['message.sent'] };
    expect((await api.put('/v1/callbacks/post-send', ok, { token })).status).toBe(403);
    const refused = await api.put('/v1/callbacks/post-send', { ...ok, url: 'http://10.20.30.40/hook' });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'OUTBOUND_ADDRESS_REFUSED', details: [{ path: 'url', url: 'http://10.20.30.40/hook' }] });
    expect((await api.put('/v1/callbacks/post-send', { ...ok, secret: 'short' })).body.error.code).toBe('VALIDATION_FAILED');
    const unknown = await api.put('/v1/callbacks/post-send', { ...ok, events: ['message.sent', 'no.such.event'] });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error.details)).toContain('events');
    expect((await api.get('/v1/callbacks')).body).toEqual({ postSend: null, beforeSend: null });
  });

  it('delivers message.sent then message.recalled of a conversation, in order, signed with the event id', async () => {
    const set = await api.put('/v1/callbacks/post-send', { url: `${base}/post`, secret, events: ['message.sent', 'message.recalled'] });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ url: `${base}/post`, events: ['message.sent', 'message.recalled'] });
    expect((await api.get('/v1/callbacks')).body.postSend).toEqual(set.body);

    const sent = await api.sendText('alice', 1, 'bob', 'for the app server');
    expect(sent.status).toBe(201);
    expect((await api.post(`/v1/messages/${sent.body.messageUId}/recall`, {}, { as: 'alice' })).status).toBe(200);

    const got = await eventually(async () => {
      const ds = deliveries('/post').filter((d) => d.data.messageUId === sent.body.messageUId);
      expect(ds.map((d) => d.type)).toEqual(['message.sent', 'message.recalled']);
      return ds;
    });
    expect(got[0].data).toMatchObject({ senderId: 'alice', targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'for the app server' } });
    for (const r of receivers.at('/post')) {
      expect(signatureValid(r, secret)).toBe(true);
      expect(r.headers['webhook-id']).toBe(JSON.parse(r.body.toString()).id);
    }
    expect(signatureValid(receivers.at('/post')[0], 'another-secret-0123456789')).toBe(false);
  });

  it('retries a failed delivery with the same id, and holds the conversation’s later events behind it', async () => {
    receivers.script('/flaky', [500, 200]);
    expect((await api.put('/v1/callbacks/post-send', { url: `${base}/flaky`, secret, events: ['message.sent'] })).status).toBe(200);
    const first = await api.sendText('carol', 1, 'bob', 'first');
    const second = await api.sendText('carol', 1, 'bob', 'second');
    expect([first.status, second.status]).toEqual([201, 201]);

    // The second message's delivery is the sentinel: by then the first must have gone twice.
    const ds = await eventually(async () => {
      const all = deliveries('/flaky');
      expect(all.some((d) => d.data.messageUId === second.body.messageUId)).toBe(true);
      return all;
    });
    expect(ds.map((d) => d.data.messageUId)).toEqual([first.body.messageUId, first.body.messageUId, second.body.messageUId]);
    expect(ds[0].id).toBe(ds[1].id);
    const [a, b] = receivers.at('/flaky');
    expect(a.headers['webhook-id']).toBe(b.headers['webhook-id']);
    expect(b.at - a.at).toBeGreaterThanOrEqual(250);
  });

  it('is removed with DELETE (a second DELETE is 404), and events after it are not delivered', async () => {
    expect((await api.delete('/v1/callbacks/post-send')).body).toEqual({ removed: true });
    expect((await api.delete('/v1/callbacks/post-send')).status).toBe(404);
    expect((await api.get('/v1/callbacks')).body.postSend).toBeNull();
  });
});
