import { createTestEnv, startStack, TestEnv, TestStack } from '@im/stack';

/**
 * An acknowledged write is a fact for every later command, on every service: each call of a
 * round is made once, right after the one before it, with no sleep and no retry, and must
 * answer 2xx. The commands that reach a copy (push's, expansions', receipts' view of messaging)
 * are refused only after the read barrier found the copy current (libs/eventstore/src/barrier.ts).
 */
describe('consistency e2e: a write is visible to the next command', () => {
  let env: TestEnv;
  let stack: TestStack;
  const ROUNDS = 20;
  const LOADED_ROUNDS = 10;
  /**
   * A round is a dozen commands in a row, and a group claim waits for expansions' copy of
   * messaging (catchUpWithOwner): on a loaded 2-core box the rounds take tens of seconds. This
   * bounds a hang, not a latency target (the benches measure those).
   */
  const ROUND_TIMEOUT_MS = 180_000;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    const users = ['owner', 'member', ...Array.from({ length: ROUNDS + LOADED_ROUNDS }, (_, i) => `joiner${i}`), ...Array.from({ length: 8 }, (_, i) => `loader${i}`)];
    expect((await stack.api.post('/v1/users/batch', { users: users.map((userId) => ({ userId, name: userId })) })).status).toBe(200);
  });

  afterAll(async () => {
    await stack?.close();
    await env?.dispose();
  });

  const expect2xx = (what: string, res: { status: number; body: unknown }) => {
    if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  };

  /** One round: each call once, right after the one before it. */
  async function round(n: number): Promise<void> {
    const { api } = stack;
    const g = `cg${n}`;
    const joiner = `joiner${n}`;
    expect2xx('create group', await api.put(`/v1/groups/${g}`, { name: g, memberIds: ['owner', 'member'] }));
    expect2xx('mute', await api.put(`/v1/conversations/3/${g}/notification`, { muted: true }, { as: 'member' }));
    const sent = expect2xx('send', await api.sendText('owner', 3, g, `round ${n}`, { needReadReceipt: true, canIncludeExpansion: true })).body as {
      messageUId: string;
    };
    expect2xx('patch expansion', await api.call('PATCH', `/v1/messages/${sent.messageUId}/expansion`, { set: { k: 'v' } }, { as: 'member' }));
    expect2xx('receipt', await api.post('/v1/receipts', { messageUIds: [sent.messageUId] }, { as: 'member' }));
    const counts = expect2xx('receipt counts', await api.get(`/v1/receipts?messageUIds=${sent.messageUId}`, { as: 'owner' }));
    expect(JSON.stringify(counts.body)).toContain(sent.messageUId);
    expect2xx('recall', await api.post(`/v1/messages/${sent.messageUId}/recall`, {}, { as: 'owner' }));
    const packet = expect2xx(
      'red packet',
      await api.post('/v1/red-packets', { conversationType: 3, targetId: g, totalAmount: 300, count: 3, mode: 'random', currency: 'CNY' }, { as: 'owner' }),
    ).body as { redPacketId: string };
    expect2xx('claim', await api.post(`/v1/red-packets/${packet.redPacketId}/claims`, undefined, { as: 'member' }));
    expect2xx('get packet', await api.get(`/v1/red-packets/${packet.redPacketId}`, { as: 'member' }));
    expect2xx('add member', await api.post(`/v1/groups/${g}/members`, { userIds: [joiner] }));
    expect2xx('joiner sends', await api.sendText(joiner, 3, g, `hello from ${joiner}`));
    expect2xx('joiner claims', await api.post(`/v1/red-packets/${packet.redPacketId}/claims`, undefined, { as: joiner }));
    expect2xx('mark read', await api.post(`/v1/conversations/3/${g}/read`, {}, { as: 'member' }));
  }

  it(`runs ${ROUNDS} rounds of group → mute → send → expansion → receipt → counts → recall → red packet → claim → join → send → claim → read, every call 2xx the first time`, async () => {
    for (let n = 0; n < ROUNDS; n++) await round(n);
  }, ROUND_TIMEOUT_MS);

  it('does the same with the stack under load (eight senders flooding other conversations)', async () => {
    let loading = true;
    const load = Array.from({ length: 8 }, async (_, i) => {
      while (loading) await stack.api.sendText(`loader${i}`, 1, 'member', 'load');
    });
    try {
      for (let n = ROUNDS; n < ROUNDS + LOADED_ROUNDS; n++) await round(n);
    } finally {
      loading = false;
      await Promise.all(load);
    }
  }, ROUND_TIMEOUT_MS);

  it('lets the writer read its write back at once: history, conversations, expansion, receipts', async () => {
    const { api } = stack;
    for (let round = 0; round < 10; round++) {
      const sent = (await api.sendText('owner', 1, 'member', `private ${round}`, { needReadReceipt: true, canIncludeExpansion: true }, { as: 'owner' })).body;
      const history = await api.get('/v1/conversations/1/member/messages?limit=1', { as: 'owner' });
      expect(history.body.messages[0].messageUId).toBe(sent.messageUId);
      const list = await api.get('/v1/conversations', { as: 'owner' });
      expect(list.body.conversations.find((c: { targetId: string }) => c.targetId === 'member').lastMessage.messageUId).toBe(sent.messageUId);
      expect((await api.call('PATCH', `/v1/messages/${sent.messageUId}/expansion`, { set: { r: String(round) } }, { as: 'owner' })).status).toBe(200);
      expect((await api.get(`/v1/messages/${sent.messageUId}/expansion`, { as: 'owner' })).body.r.v).toBe(String(round));
      expect((await api.get(`/v1/receipts?messageUIds=${sent.messageUId}`, { as: 'owner' })).status).toBe(200);
    }
  });

  it('still says "not found" for what does not exist, after looking', async () => {
    const res = await stack.api.call('PATCH', '/v1/messages/AAAA-AAAA-AAAA-AAAA/expansion', { set: { k: 'v' } }, { as: 'member' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
