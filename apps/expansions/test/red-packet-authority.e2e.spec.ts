import { connect, NatsConnection } from '@nats-io/transport-node';
import { ApiClient, CallOptions, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';

/**
 * Money and a packet's state come from the app server only: a user token cannot create a red
 * packet (the app server takes the payment, then creates it), and no sender can put a packet's
 * own expansion keys on an `app:red_packet` message of its own making.
 */
describe('red packets: only the app server makes money (e2e)', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let token: string;
  const created: Array<{ data: { redPacketId: string; greeting: string | null; senderId: string } }> = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'expansions'] });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.expansions.redpacket.created`, { callback: (_e, m) => void created.push(m.json()) });
    for (const id of ['payer', 'm1']) await api.put(`/v1/users/${id}`, { name: id });
    await api.put('/v1/groups/g', { name: 'G', memberIds: ['payer', 'm1'] });
    token = (await api.post('/v1/users/payer/token')).body.token;
    // A first packet registers app:red_packet with messaging (the message tests need the type).
    await eventually(async () => expect((await create({ as: 'payer' }, 'setup')).status).toBe(201));
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const create = (opts: CallOptions, greeting: string) =>
    api.post('/v1/red-packets', { conversationType: 3, targetId: 'g', totalAmount: 500, count: 2, mode: 'fixed', currency: 'CNY', greeting }, opts);
  const packetMessage = (expansion: Record<string, string>, objectName = 'app:red_packet') => ({
    conversationType: 3,
    targetId: 'g',
    objectName,
    content: objectName === 'app:red_packet' ? { redPacketId: 'rp_fake000000', greeting: 'forged', currency: 'CNY', mode: 'fixed' } : { content: 'hi' },
    canIncludeExpansion: true,
    expansion,
  });

  it('refuses a user token with 403 FORBIDDEN and writes nothing', async () => {
    for (const headers of [{}, { 'idempotency-key': 'pay-by-token' }] as Array<Record<string, string>>) {
      const r = await create({ token, headers }, 'forged');
      expect([r.status, r.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    }
    // The sentinel: the same packet from the app server. Events are published in commit order,
    // so a packet the refused calls had written would have come before it.
    const ok = await create({ as: 'payer', headers: { 'idempotency-key': 'pay-1' } }, 'sentinel');
    expect(ok.status).toBe(201);
    await eventually(async () => expect(created.map((e) => e.data.redPacketId)).toContain(ok.body.redPacketId));
    expect(created.map((e) => e.data.greeting)).toEqual(['setup', 'sentinel']);
    // History is messaging's projection: wait until it has the sentinel's message, then nothing else may be there.
    await eventually(async () => {
      const history = (await api.get('/v1/conversations/3/g/messages?limit=100', { as: 'm1' })).body.messages as any[];
      const greetings = history.filter((m) => m.objectName === 'app:red_packet').map((m) => m.content.greeting);
      expect(greetings).toContain('sentinel');
      expect(greetings.sort()).toEqual(['sentinel', 'setup']);
    });
  });

  it("refuses a sender's own app:red_packet message that carries the packet's keys, token or server key", async () => {
    const attempts: Array<[Record<string, string>, CallOptions]> = [
      [{ status: 'claimed', open: 'true' }, { token }],
      [{ claimed: '2', mine: '1' }, { as: 'm1' }],
      [{ amount: '1000000' }, { as: 'payer', headers: { 'idempotency-key': 'msg-1' } }],
    ];
    for (const [expansion, opts] of attempts) {
      const r = await api.post('/v1/messages', packetMessage(expansion), opts);
      expect({ expansion, status: r.status, code: r.body.error?.code }).toEqual({ expansion, status: 422, code: 'RESERVED_EXPANSION_KEY' });
    }
    // The same keys on another type are anyone's; this message is also the sentinel for history.
    const other = await api.post('/v1/messages', packetMessage({ status: 'mine' }, 'RC:TxtMsg'), { as: 'm1' });
    expect(other.status).toBe(201);
    await eventually(async () => {
      const history = (await api.get('/v1/conversations/3/g/messages?limit=100', { as: 'payer' })).body.messages as any[];
      expect(history.map((m) => m.messageUId)).toContain(other.body.messageUId);
      expect(history.filter((m) => m.content?.greeting === 'forged')).toEqual([]);
    });
  });
});
