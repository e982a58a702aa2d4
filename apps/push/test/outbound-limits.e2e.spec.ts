import { PushView } from '@im/contracts';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { flood, LOOPBACK_NETWORKS, Receivers, signatureValid, trickle } from '@im/stack';

const DEADLINE_MS = 2000;

/**
 * What one bad receiver can cost the others. Receivers run on loopback (allowed by name in the
 * stack's settings): one trickles a byte every 200 ms and never ends, one answers a 1 GiB body.
 * Pushes to them are abandoned at the whole-request deadline or read only up to the cap, and a
 * push to a good receiver of another user arrives meanwhile.
 */
describe('outbound limits e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  const slow = new Receivers();
  const good = new Receivers();
  const trickler = trickle(200);
  const huge = flood(1024 * 1024 * 1024);
  const secret = 'gina-secret-0123456789';
  const SAM_DEVICES = 12;

  beforeAll(async () => {
    env = await createTestEnv();
    const [slowBase, goodBase] = [await slow.start(), await good.start()];
    const push = {
      scanMs: 50,
      retryBaseMs: 300,
      maxAttempts: 2,
      timeoutMs: DEADLINE_MS,
      perHostConcurrency: 2,
      concurrency: 20,
      maxResponseBytes: 1024,
      allowedNetworks: LOOPBACK_NETWORKS,
    };
    stack = await startStack(env, { only: ['messaging', 'push'], settings: { push } });
    api = stack.api;
    for (const u of ['alice', 'sam', 'gina', 'hugo']) await api.put(`/v1/users/${u}`, { name: u });
    // Twelve of sam's devices on the trickling receiver: two in flight (its per-host limit),
    // eight waiting for a slot, two turned away for a moment (its queue is full).
    for (let i = 0; i < SAM_DEVICES; i++) {
      slow.answer(`/sam-${i}`, trickler);
      const res = await api.post('/v1/devices', { deviceId: `sam-${i}`, platform: 'webhook', url: `${slowBase}/sam-${i}`, secret: 'sam-secret-0123456789' }, { as: 'sam' });
      expect(res.status).toBe(201);
    }
    good.answer('/flood', huge);
    expect((await api.post('/v1/devices', { deviceId: 'phone', platform: 'webhook', url: `${goodBase}/gina`, secret }, { as: 'gina' })).status).toBe(201);
    expect((await api.post('/v1/devices', { deviceId: 'phone', platform: 'webhook', url: `${goodBase}/flood`, secret }, { as: 'hugo' })).status).toBe(201);
  });

  afterAll(async () => {
    await stack?.close();
    await slow.stop();
    await good.stop();
    await env?.dispose();
  });

  const records = async (u: string) => (await api.get(`/v1/admin/pushes?userId=${u}`)).body.pushes as PushView[];

  it('abandons trickling pushes at the deadline and retries them, while another receiver gets its push at once', async () => {
    await api.sendText('alice', 1, 'sam', 'are you there');
    await eventually(async () => expect(slow.received.length).toBeGreaterThanOrEqual(2));
    const asked = Date.now();
    await api.sendText('alice', 1, 'gina', 'quick one');
    const [arrived] = await eventually(async () => {
      const got = good.at('/gina');
      expect(got).toHaveLength(1);
      return got;
    });
    expect(arrived.at - asked).toBeLessThan(DEADLINE_MS);
    expect(signatureValid(arrived, secret)).toBe(true);

    const samPushes = await eventually(async () => {
      const pushes = await records('sam');
      expect(pushes.map((p) => p.status)).toEqual(Array(SAM_DEVICES).fill('failed'));
      return pushes;
    }, 40_000);
    const error = `timeout: no complete answer within ${DEADLINE_MS} ms`;
    for (const p of samPushes) expect(p.attempts.map((a) => [a.outcome, a.httpStatus, a.error])).toEqual([['retry', null, error], ['failed', null, error]]);
    // Gina's push did not wait for any of them: it arrived before the first came back.
    expect(Math.min(...samPushes.map((p) => p.attempts[0].at))).toBeGreaterThan(arrived.at);
    expect(trickler.maxOpen()).toBeLessThanOrEqual(2);
    expect(slow.received.length).toBeLessThanOrEqual(2 * SAM_DEVICES);
  }, 60_000);

  it('reads a huge answer only up to the cap: the push is sent, the rest is never read', async () => {
    await api.sendText('alice', 1, 'hugo', 'here is a lot back');
    await eventually(async () => expect((await records('hugo'))[0]?.status).toBe('sent'));
    const [p] = await records('hugo');
    expect(p.attempts.map((a) => [a.outcome, a.httpStatus])).toEqual([['sent', 200]]);
    // What went out is what the socket buffers held before the push service stopped reading.
    expect(huge.written()).toBeLessThan(32 * 1024 * 1024);
  });
});
