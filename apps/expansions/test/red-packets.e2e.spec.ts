import { INestApplicationContext } from '@nestjs/common';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { bootService } from '@im/service-kit';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { ExpansionsModule } from '../src/expansions.module';
import { RedPacketExpiryWorker } from '../src/red-packets/expiry.worker';

/** The seed's red packet flow through HTTP and NATS, in a group and in a private chat. */
describe('red packets e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const events: Array<{ id: string; type: string; data: any }> = [];
  const members = Array.from({ length: 10 }, (_, i) => `m${i}`);
  const [sender, ...others] = members;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging', 'expansions'], clock, settings: { expansions: { expiryScanMs: 100 } } });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.expansions.>`, { callback: (_e, m) => void events.push(m.json()) });
    for (const id of [...members, 'pat', 'quinn', 'stranger']) await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
    await api.put('/v1/groups/g10', { name: 'Ten', memberIds: members });
    // The expansions service learns membership from messaging's events; the read barrier makes it current.
    const r = await api.post('/v1/red-packets', { conversationType: 3, targetId: 'g10', totalAmount: 1, count: 1, mode: 'fixed', currency: 'CNY' }, { as: members[9] });
    expect(r.status).toBe(201);
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const create = (as: string, body: Record<string, unknown>, key?: string) =>
    api.post('/v1/red-packets', { currency: 'CNY', mode: 'random', ...body }, { as, headers: key ? { 'idempotency-key': key } : {} });
  const claim = (id: string, as: string) => api.post(`/v1/red-packets/${id}/claims`, undefined, { as });
  const history = async (as: string, path: string) => (await api.get(`/v1/conversations/${path}/messages?limit=100`, { as })).body.messages as any[];

  it('walks the group flow: 5 shares, 7 claim at once, 5 win, the rest see it exhausted', async () => {
    const created = await create(sender, { conversationType: 3, targetId: 'g10', totalAmount: 1000, count: 5, greeting: 'Happy new year' }, 'pay-1');
    expect(created.status).toBe(201);
    const { redPacketId, messageUId } = created.body;
    // The payment id makes creation exactly-once.
    const body = { conversationType: 3, targetId: 'g10', totalAmount: 1000, count: 5, greeting: 'Happy new year' };
    expect((await create(sender, body, 'pay-1')).body).toEqual(created.body);
    // The same payment id for another packet is refused, not answered with the first one.
    expect((await create(sender, { ...body, count: 4 }, 'pay-1')).body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const claimers = others.slice(0, 7);
    const results = await Promise.all(claimers.map((u) => claim(redPacketId, u)));
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(5);
    const lost = results.filter((r) => r.status !== 200);
    expect(lost.map((r) => [r.status, r.body.error.code])).toEqual([
      [409, 'RED_PACKET_EXHAUSTED'],
      [409, 'RED_PACKET_EXHAUSTED'],
    ]);
    expect(won.reduce((s, r) => s + r.body.amount, 0)).toBe(1000);
    won.forEach((r) => expect(r.body.amount).toBeGreaterThanOrEqual(1));

    const winners = claimers.filter((_, i) => results[i].status === 200);
    const state = (await api.get(`/v1/red-packets/${redPacketId}`, { as: winners[0] })).body;
    expect(state).toMatchObject({ status: 'claimed', remainingAmount: 0, remainingCount: 0, totalAmount: 1000, count: 5, messageUId });
    expect(state.claims.map((c: { userId: string }) => c.userId).sort()).toEqual([...winners].sort());
    expect(state.bestLuck.amount).toBe(Math.max(...won.map((r) => r.body.amount)));
    expect(state.myClaim.amount).toBe(results[claimers.indexOf(winners[0])].body.amount);
    expect((await claim(redPacketId, winners[0])).body.error).toMatchObject({ code: 'ALREADY_CLAIMED', details: { amount: state.myClaim.amount } });

    // Every member sees the packet claimed in history.
    for (const m of members) {
      await eventually(async () => {
        const msg = (await history(m, '3/g10')).find((x) => x.messageUId === messageUId);
        expect(msg).toMatchObject({ objectName: 'app:red_packet', expansion: { status: 'claimed', open: 'true', claimed: '5', count: '5', amount: '1000' } });
      });
    }

    // Grey-bar notices: each claimer and the sender, each seeing only their own.
    await eventually(async () => {
      const mine = (await history(sender, '3/g10')).filter((x) => x.objectName === 'RC:InfoNtf' && x.content.message.endsWith('claimed your red packet'));
      expect(mine.map((x) => x.content.message).sort()).toEqual(winners.map((w) => `${w.toUpperCase()} claimed your red packet`).sort());
    });
    for (const w of winners) {
      await eventually(async () => {
        const notes = (await history(w, '3/g10')).filter((x) => x.objectName === 'RC:InfoNtf');
        expect(notes.map((x) => x.content.message)).toEqual([`You claimed the red packet from ${sender.toUpperCase()}`]);
      });
    }
    const bystander = members.find((m) => !winners.includes(m) && m !== sender)!;
    expect((await history(bystander, '3/g10')).filter((x) => x.objectName === 'RC:InfoNtf')).toEqual([]);

    await eventually(async () => {
      const mineEvents = events.filter((e) => e.data.redPacketId === redPacketId);
      expect(mineEvents.filter((e) => e.type === 'redpacket.claimed')).toHaveLength(5);
      expect(mineEvents.filter((e) => e.type === 'redpacket.completed')).toHaveLength(1);
    });
  });

  it('does the same in a private chat with a single share for the receiver only', async () => {
    expect((await create('pat', { conversationType: 1, targetId: 'quinn', totalAmount: 88, count: 2 })).body.error.code).toBe('PRIVATE_PACKET_HAS_ONE_SHARE');
    const { body } = await create('pat', { conversationType: 1, targetId: 'quinn', totalAmount: 88, count: 1 }, 'pay-p');
    expect((await claim(body.redPacketId, 'pat')).status).toBe(403);
    expect((await claim(body.redPacketId, 'stranger')).status).toBe(404);
    const got = await claim(body.redPacketId, 'quinn');
    expect(got.body).toEqual({ amount: 88, currency: 'CNY', remainingCount: 0 });
    expect((await claim(body.redPacketId, 'quinn')).body.error.code).toBe('ALREADY_CLAIMED');
    await eventually(async () => {
      const msg = (await history('quinn', '1/pat')).find((x) => x.messageUId === body.messageUId);
      expect(msg.expansion).toEqual({ open: 'true', count: '1', amount: '88', claimed: '1', status: 'claimed' });
    });
    await eventually(async () => {
      expect((await history('quinn', '1/pat')).filter((x) => x.objectName === 'RC:InfoNtf').map((x) => x.content.message)).toEqual(['You claimed the red packet from PAT']);
      expect((await history('pat', '1/quinn')).filter((x) => x.objectName === 'RC:InfoNtf').map((x) => x.content.message)).toEqual(['QUINN claimed your red packet']);
    });
    await eventually(async () => expect(events.filter((e) => e.data.redPacketId === body.redPacketId).map((e) => e.type)).toEqual(
      expect.arrayContaining(['redpacket.created', 'redpacket.claimed', 'redpacket.completed']),
    ));
  });

  it('refuses bad packets with clear errors and creates nothing', async () => {
    const before = events.length;
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ conversationType: 3, targetId: 'g10', totalAmount: 10, count: 3, mode: 'fixed' }, 422, 'AMOUNT_NOT_DIVISIBLE'],
      [{ conversationType: 3, targetId: 'g10', totalAmount: 2, count: 3 }, 422, 'AMOUNT_TOO_SMALL'],
      [{ conversationType: 3, targetId: 'g10', totalAmount: 10, count: 1, receiverIds: ['stranger'] }, 422, 'RECEIVER_NOT_MEMBER'],
      [{ conversationType: 3, targetId: 'g10', totalAmount: 1.5, count: 1 }, 400, 'VALIDATION_FAILED'],
      [{ conversationType: 3, targetId: 'g10', totalAmount: 10, count: 1, currency: 'yuan-fen' }, 400, 'VALIDATION_FAILED'],
      [{ conversationType: 3, targetId: 'nope', totalAmount: 10, count: 1 }, 404, 'NOT_FOUND'],
    ];
    for (const [body, status, code] of cases) {
      const r = await create(sender, body);
      expect({ body, status: r.status, code: r.body.error?.code }).toEqual({ body, status, code });
    }
    expect((await create('stranger', { conversationType: 3, targetId: 'g10', totalAmount: 10, count: 1 })).status).toBe(404);
    // A packet created after the refusals: its event comes after any of theirs would have.
    const sentinel = (await create(sender, { conversationType: 3, targetId: 'g10', totalAmount: 10, count: 1 })).body.redPacketId;
    await eventually(async () => expect(events.some((e) => e.type === 'redpacket.created' && e.data.redPacketId === sentinel)).toBe(true));
    expect(events.slice(before).filter((e) => e.type === 'redpacket.created').map((e) => e.data.redPacketId)).toEqual([sentinel]);
  });

  it('lets only the receivers of an exclusive packet claim it', async () => {
    const { body } = await create(sender, { conversationType: 3, targetId: 'g10', totalAmount: 20, count: 2, receiverIds: ['m1', 'm2'] });
    expect((await claim(body.redPacketId, 'm3')).body.error.code).toBe('NOT_A_RECEIVER');
    expect((await claim(body.redPacketId, 'm1')).status).toBe(200);
  });

  describe('expiry', () => {
    let replica: INestApplicationContext;

    beforeAll(async () => {
      replica = await bootService(
        ExpansionsModule.register({ config: { databaseUrl: env.databaseUrl, natsUrl: env.natsUrl, subjectPrefix: env.prefix }, clock }, { expiryScanMs: 50 }),
      );
    });

    afterAll(async () => {
      offsetMs = 0;
      await replica?.close();
    });

    it('refunds exactly the unclaimed rest once with two replicas scanning, then claims are 410', async () => {
      const { body } = await create(sender, { conversationType: 3, targetId: 'g10', totalAmount: 500, count: 5, expiresInSeconds: 60 });
      const a = await claim(body.redPacketId, 'm1');
      const b = await claim(body.redPacketId, 'm2');
      const claimed = a.body.amount + b.body.amount;
      offsetMs = 61_000;
      await eventually(async () => {
        expect(events.filter((e) => e.type === 'redpacket.refunded' && e.data.redPacketId === body.redPacketId)).toHaveLength(1);
      });
      // Both replicas scan again after it: neither refunds anything more.
      const workers = [stack.services.get('expansions')!, replica].map((app) => app.get(RedPacketExpiryWorker));
      expect(await Promise.all(workers.map((w) => w.scan()))).toEqual([0, 0]);
      // A packet created after those scans: its event comes after any refund they could have appended.
      const sentinel = (await create(sender, { conversationType: 3, targetId: 'g10', totalAmount: 10, count: 1 })).body.redPacketId;
      await eventually(async () => expect(events.some((e) => e.type === 'redpacket.created' && e.data.redPacketId === sentinel)).toBe(true));
      const refunds = events.filter((e) => e.type === 'redpacket.refunded' && e.data.redPacketId === body.redPacketId);
      expect(refunds).toHaveLength(1);
      expect(refunds[0].data).toMatchObject({ amount: 500 - claimed, claimedCount: 2, currency: 'CNY' });

      const late = await claim(body.redPacketId, 'm3');
      expect([late.status, late.body.error.code]).toEqual([410, 'RED_PACKET_EXPIRED']);
      const state = (await api.get(`/v1/red-packets/${body.redPacketId}`, { as: sender })).body;
      expect(state).toMatchObject({ status: 'expired', remainingAmount: 500 - claimed });
      expect(state.bestLuck).toBeUndefined();
      await eventually(async () => {
        const msg = (await history('m4', '3/g10')).find((x) => x.messageUId === body.messageUId);
        expect(msg.expansion).toMatchObject({ status: 'expired', claimed: '2', open: 'false' });
      });
    });
  });
});
