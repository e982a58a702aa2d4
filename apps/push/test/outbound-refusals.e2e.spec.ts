import { PushView } from '@im/contracts';
import { DB } from '@im/service-kit';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { Kysely } from 'kysely';
import { browserSubscription, Receivers } from '@im/stack';

/**
 * The push service with its default address policy (no PUSH_ALLOWED_NETWORKS): registering a
 * webhook or a Web Push endpoint on an internal address is refused through the gateway with the
 * url named, and nothing is stored or announced; a device that holds such an address anyway (one
 * registered before the check existed) is refused again at connect time.
 */
describe('outbound address refusals e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let db: Kysely<any>;
  const receivers = new Receivers();
  let local: string;

  beforeAll(async () => {
    env = await createTestEnv();
    local = await receivers.start();
    stack = await startStack(env, { only: ['messaging', 'push'], settings: { push: { scanMs: 50 } } });
    api = stack.api;
    db = stack.services.get('push')!.get(DB);
    for (const u of ['alice', 'mallory']) await api.put(`/v1/users/${u}`, { name: u });
  });

  afterAll(async () => {
    await stack?.close();
    await receivers.stop();
    await env?.dispose();
  });

  const ssrf: Array<[string, string, string]> = [
    ['http://127.0.0.1/', '127.0.0.1', 'loopback'],
    ['http://10.1.2.3/', '10.1.2.3', 'private'],
    ['http://0.0.0.0:4222/', '0.0.0.0', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254', 'link-local'],
    ['http://[::1]/', '::1', 'loopback'],
    ['http://[::ffff:169.254.169.254]/', '169.254.169.254', 'link-local'],
    ['http://[::ffff:a9fe:a9fe]/', '169.254.169.254', 'link-local'],
    ['http://2130706433/', '127.0.0.1', 'loopback'],
    ['http://0x7f.1/', '127.0.0.1', 'loopback'],
    ['http://[fe80::1]/', 'fe80::1', 'link-local'],
    ['http://[ff02::1]/', 'ff02::1', 'multicast'],
    ['http://100.64.0.1/', '100.64.0.1', 'shared'],
  ];
  const storedDevices = async () => (await db.selectFrom('devices').select(['user_id', 'device_id', 'url']).where('user_id', '=', 'mallory').execute()).map((d) => d.device_id);
  const deviceEvents = async () =>
    (await db.selectFrom('events').select(['stream_id', 'type']).where('stream_id', 'like', 'device-mallory/%').execute()).map((e) => `${e.stream_id} ${e.type}`);

  it('refuses every internal webhook URL with 422 naming it, and stores nothing', async () => {
    for (const [url, address, reason] of ssrf) {
      const res = await api.post('/v1/devices', { deviceId: 'hook', platform: 'webhook', url, secret: 'mallory-secret-0123456789' }, { as: 'mallory' });
      expect({ url, status: res.status, code: res.body.error?.code, details: res.body.error?.details }).toEqual({
        url,
        status: 422,
        code: 'OUTBOUND_ADDRESS_REFUSED',
        details: [{ path: 'url', url, address, reason, message: `${address} is ${reason}` }],
      });
    }
    // The sentinel: a public address is accepted and announced; the refused ones before it never were.
    expect((await api.post('/v1/devices', { deviceId: 'public', platform: 'webhook', url: 'https://93.184.215.14/push', secret: 'mallory-secret-0123456789' }, { as: 'mallory' })).status).toBe(201);
    expect(await storedDevices()).toEqual(['public']);
    expect(await deviceEvents()).toEqual(['device-mallory/public device.registered']);
  });

  it('refuses internal Web Push endpoints the same way', async () => {
    const browser = browserSubscription('');
    for (const [url, address, reason] of ssrf.slice(0, 7)) {
      const res = await api.post('/v1/devices', { deviceId: 'browser', platform: 'webpush', subscription: { ...browser.subscription, endpoint: url } }, { as: 'mallory' });
      expect({ status: res.status, code: res.body.error?.code, details: res.body.error?.details }).toEqual({
        status: 422,
        code: 'OUTBOUND_ADDRESS_REFUSED',
        details: [{ path: 'subscription.endpoint', url, address, reason, message: `${address} is ${reason}` }],
      });
    }
    expect(await storedDevices()).toEqual(['public']);
  });

  it('refuses other schemes and credentials in the URL at the gateway (400)', async () => {
    for (const url of ['ftp://93.184.215.14/', 'gopher://93.184.215.14:70/', 'http://user:pw@93.184.215.14/']) {
      const res = await api.post('/v1/devices', { deviceId: 'hook', platform: 'webhook', url, secret: 'mallory-secret-0123456789' }, { as: 'mallory' });
      expect({ url, status: res.status, code: res.body.error?.code }).toEqual({ url, status: 400, code: 'VALIDATION_FAILED' });
    }
    expect(await storedDevices()).toEqual(['public']);
  });

  it('refuses at connect time a stored device on loopback: the push fails at once, nothing arrives', async () => {
    // As if registered before the check existed: the row is written directly.
    await db
      .insertInto('devices')
      .values({ user_id: 'alice', device_id: 'old-hook', platform: 'webhook', url: `${local}/old`, secret: 'alice-secret-0123456789', subscription: null, registered_at: Date.now() })
      .execute();
    await api.sendText('mallory', 1, 'alice', 'hello');
    const pushes = async () => (await api.get('/v1/admin/pushes?userId=alice')).body.pushes as PushView[];
    await eventually(async () => expect((await pushes())[0]?.status).toBe('failed'));
    const [p] = await pushes();
    expect(p.attempts.map((a) => [a.outcome, a.error])).toEqual([['failed', 'OUTBOUND_ADDRESS_REFUSED: 127.0.0.1 is loopback']]);
    expect(receivers.received).toEqual([]);
  });
});
