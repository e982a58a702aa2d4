import { connect, NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { Subjects } from '@im/contracts';
import { ApiClient, ApiResponse, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

/** Idempotency-Key on every write, through the gateway: first answers replayed, misuse refused. */
describe('Idempotency-Key e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const key = (k: string) => ({ headers: { 'idempotency-key': k } });
  const replayed = (r: ApiResponse) => r.headers.get('idempotent-replayed');

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { clock });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    for (const id of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) await api.put(`/v1/users/${id}`, { name: id });
    await api.put('/v1/groups/g1', { name: 'One', memberIds: ['alice', 'bob', 'carol'] });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const packet = async (k: string) => {
    const r = await api.post('/v1/red-packets', { conversationType: 3, targetId: 'g1', totalAmount: 300, count: 3, mode: 'fixed', currency: 'CNY' }, { as: 'alice', ...key(k) });
    expect(r.status).toBe(201);
    return r.body.redPacketId as string;
  };

  it('gives a retried claim its first answer, not 409 ALREADY_CLAIMED', async () => {
    const id = await packet('pay-claim');
    const first = await api.post(`/v1/red-packets/${id}/claims`, undefined, { as: 'bob', ...key('claim-1') });
    expect(first.status).toBe(200);
    expect(replayed(first)).toBeNull();
    const again = await api.post(`/v1/red-packets/${id}/claims`, undefined, { as: 'bob', ...key('claim-1') });
    expect([again.status, again.body, replayed(again)]).toEqual([200, first.body, 'true']);
    // Without the key the service answers: the claim happened once.
    const unkeyed = await api.post(`/v1/red-packets/${id}/claims`, undefined, { as: 'bob' });
    expect([unkeyed.status, unkeyed.body.error.code]).toEqual([409, 'ALREADY_CLAIMED']);
    const state = (await api.get(`/v1/red-packets/${id}`)).body;
    expect(state.claims).toHaveLength(1);
    expect(state.remainingAmount).toBe(200);
  });

  it('replays before access checks: a claim retried after the claimer left the group', async () => {
    const id = await packet('pay-leave');
    const first = await api.post(`/v1/red-packets/${id}/claims`, undefined, { as: 'carol', ...key('claim-carol') });
    expect(first.status).toBe(200);
    expect((await api.delete('/v1/groups/g1/members/carol')).status).toBe(200);
    // The expansions service has seen the removal once an unkeyed claim (409 while she is a member) is 404.
    await eventually(async () => expect((await api.post(`/v1/red-packets/${id}/claims`, undefined, { as: 'carol' })).status).toBe(404));
    const again = await api.post(`/v1/red-packets/${id}/claims`, undefined, { as: 'carol', ...key('claim-carol') });
    expect([again.status, again.body, replayed(again)]).toEqual([200, first.body, 'true']);
    await api.post('/v1/groups/g1/members', { userIds: ['carol'] });
  });

  it('returns the first answers of a retried recall, device registration, member add, receipt and stream chunk', async () => {
    const m = await api.sendText('alice', 3, 'g1', 'to recall');
    const recall = () => api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'alice', ...key('recall-1') });
    await expectReplayed(recall, 200);
    expect((await api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { as: 'alice' })).status).toBe(409);

    const device = { deviceId: 'phone-1', platform: 'webhook', url: 'https://93.184.215.14/hook', secret: 'a-secret-of-16-chars' };
    await expectReplayed(() => api.post('/v1/devices', device, { as: 'bob', ...key('device-1') }), 201);

    await expectReplayed(() => api.post('/v1/groups/g1/members', { userIds: ['dave'] }, key('add-dave')), 200);

    const r = await api.sendText('alice', 3, 'g1', 'read me', { needReadReceipt: true });
    await expectReplayed(() => api.post('/v1/receipts', { messageUIds: [r.body.messageUId] }, { as: 'bob', ...key('receipt-1') }), 200);

    const s = await api.post('/v1/messages', { conversationType: 3, targetId: 'g1', objectName: 'RC:StreamMsg', content: { content: 'Hel', seq: 1, complete: false } }, { as: 'alice' });
    const chunk = () => api.post(`/v1/messages/${s.body.messageUId}/stream`, { content: 'lo', seq: 2, complete: false }, { as: 'alice', ...key('chunk-2') });
    await expectReplayed(chunk, 200);
    // The chunk was appended once: seq 2 again without the key is a duplicate.
    expect((await api.post(`/v1/messages/${s.body.messageUId}/stream`, { content: 'lo', seq: 2, complete: false }, { as: 'alice' })).status).toBe(409);
  });

  it('refuses a key reused for another body, route or method with 422, changing nothing', async () => {
    expect((await api.sendText('alice', 3, 'g1', 'first', {}, key('send-1'))).status).toBe(201);
    const other = await api.sendText('alice', 3, 'g1', 'second', {}, key('send-1'));
    expect([other.status, other.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const otherRoute = await api.post('/v1/groups/g1/members', { userIds: ['frank'] }, { as: 'alice', ...key('send-1') });
    expect([otherRoute.status, otherRoute.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const sentinel = await api.sendText('alice', 3, 'g1', 'after');
    await eventually(async () => expect((await history('alice'))[0].messageUId).toBe(sentinel.body.messageUId));
    expect((await history('alice')).map((x) => x.content.content)).not.toContain('second');
    // frank was not added: he cannot send to the group.
    expect((await api.sendText('frank', 3, 'g1', 'hi')).status).toBe(404);
    // The same key from another credential is another request.
    expect((await api.sendText('bob', 3, 'g1', 'second', {}, key('send-1'))).status).toBe(201);
  });

  it('answers 409 IN_FLIGHT while the first request runs, and does not remember a 5xx', async () => {
    const subject = new Subjects(env.prefix).rpc('push', 'devices.register');
    const device = { deviceId: 'slow-1', platform: 'webhook', url: 'https://93.184.215.14/hook', secret: 'a-secret-of-16-chars' };
    // The push service is stopped; a stand-in for a slow, then failing, service holds the request.
    await stack.stopService('push');
    const held = new Promise<{ respond(d: string): void }>((resolve) => nc.subscribe(subject, { max: 1, callback: (_e, msg) => resolve({ respond: (d) => msg.respond(d) }) }));
    await nc.flush();
    const first = api.post('/v1/devices', device, { as: 'erin', ...key('slow') });
    const hold = await held;
    const second = await api.post('/v1/devices', device, { as: 'erin', ...key('slow') });
    expect([second.status, second.body.error.code, second.headers.get('retry-after')]).toEqual([409, 'IDEMPOTENCY_KEY_IN_FLIGHT', '1']);
    hold.respond(JSON.stringify({ ok: false, error: { code: 'SERVICE_UNAVAILABLE', status: 503, message: 'busy' } }));
    expect((await first).status).toBe(503);
    await stack.startService('push');
    const retried = await api.post('/v1/devices', device, { as: 'erin', ...key('slow') });
    expect([retried.status, replayed(retried)]).toEqual([201, null]);
  });

  it('keeps keys for 24 hours in a bucket NATS prunes, then runs a retry again', async () => {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(new Subjects(env.prefix).idempotencyStream());
    expect(info.config.max_age).toBe(24 * 3600 * 1e9);
    const add = () => api.post('/v1/groups/g1/members', { userIds: ['erin'] }, key('add-erin'));
    expect(replayed(await add())).toBeNull();
    expect(replayed(await add())).toBe('true');
    offsetMs = 24 * 3600 * 1000 + 1000;
    const late = await add();
    expect([late.status, replayed(late)]).toEqual([200, null]);
    expect(replayed(await add())).toBe('true');
  });

  const history = async (as: string) => (await api.get('/v1/conversations/3/g1/messages?limit=100', { as })).body.messages as any[];

  async function expectReplayed(call: () => Promise<ApiResponse>, status: number): Promise<void> {
    const first = await call();
    expect([first.status, replayed(first)]).toEqual([status, null]);
    const again = await call();
    expect([again.status, again.body, replayed(again)]).toEqual([status, first.body, 'true']);
  }
});
