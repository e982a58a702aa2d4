import { ApiClient, createTestEnv, eventually, SseClient, SseEvent, startStack, TestEnv, TestStack } from '@im/stack';

/**
 * What each kind of event looks like on GET /v1/stream, the whole stack running (issue 13:
 * items 7 and 15): a private message names the conversation as its receiver sees it; recalls,
 * receipt updates, read positions from another device, a red packet's completion and refund.
 */
describe('stream events e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  const open: SseClient[] = [];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    process.env.RED_PACKET_EXPIRY_SCAN_MS = '100';
    env = await createTestEnv();
    stack = await startStack(env, { clock });
    api = stack.api;
    for (const id of ['amy', 'bob', 'cal']) {
      await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
      tokens[id] = (await api.post(`/v1/users/${id}/token`)).body.token;
    }
    await api.put('/v1/groups/gx', { name: 'GX', memberIds: ['amy', 'bob', 'cal'] });
  });

  afterAll(async () => {
    delete process.env.RED_PACKET_EXPIRY_SCAN_MS;
    open.forEach((c) => c.close());
    await stack?.close();
    await env?.dispose();
  });

  const device = async (user: string, deviceId: string) => {
    const c = new SseClient(`${api.baseUrl}/v1/stream?deviceId=${deviceId}`, { authorization: `Bearer ${tokens[user]}` });
    await c.open();
    open.push(c);
    return c;
  };
  /** The push service hears of a stream from the gateway's presence: until then nothing is fanned out to it. */
  const live = async (c: SseClient, user: string) => {
    await eventually(async () => {
      const ping = await api.sendText('cal', 1, user, `ping ${user}`);
      await waitFor(c, 'message.sent', (d) => d.messageUId === ping.body.messageUId, 1_000);
    });
  };
  const find = (c: SseClient, type: string, pred: (data: any) => boolean) => c.events.find((e) => e.event === type && pred(e.data.data));
  const waitFor = (c: SseClient, type: string, pred: (data: any) => boolean, timeoutMs = 10_000): Promise<SseEvent> =>
    eventually(async () => {
      const e = find(c, type, pred);
      expect(e).toBeDefined();
      return e!;
    }, timeoutMs);

  let amyPhone: SseClient;
  let amyLaptop: SseClient;
  let bobPhone: SseClient;

  beforeAll(async () => {
    amyPhone = await device('amy', 'amy-phone');
    amyLaptop = await device('amy', 'amy-laptop');
    bobPhone = await device('bob', 'bob-phone');
    await live(amyPhone, 'amy');
    await live(amyLaptop, 'amy');
    await live(bobPhone, 'bob');
  });

  it("names a private message's conversation as each receiver sees it: the sender for the recipient, the recipient for the sender's devices", async () => {
    const sent = await api.post('/v1/messages', { conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: 'hi bob' } }, { token: tokens.amy });
    expect(sent.status).toBe(201);
    const uid = sent.body.messageUId;
    const atBob = await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === uid);
    expect(atBob.data.data).toMatchObject({ conversationType: 1, targetId: 'amy', senderId: 'amy', content: { content: 'hi bob' } });
    const atAmy = await waitFor(amyLaptop, 'message.sent', (d) => d.messageUId === uid);
    expect(atAmy.data.data).toMatchObject({ conversationType: 1, targetId: 'bob', senderId: 'amy' });
    // The same as history and the conversation list say.
    const history = (await api.get('/v1/conversations/1/amy/messages?limit=1', { token: tokens.bob })).body.messages[0];
    expect([history.messageUId, history.targetId]).toEqual([uid, atBob.data.data.targetId]);
    const row = (await api.get('/v1/conversations', { token: tokens.bob })).body.conversations.find((c: any) => c.lastMessage?.messageUId === uid);
    expect(row.targetId).toBe('amy');
    // A group message is the group for everyone.
    const group = await api.sendText('amy', 3, 'gx', 'hi all');
    expect((await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === group.body.messageUId)).data.data.targetId).toBe('gx');
  });

  it('brings a recall to the recipient and to the sender’s other device, named from their side', async () => {
    const m = await api.sendText('amy', 1, 'bob', 'take it back');
    await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === m.body.messageUId);
    expect((await api.post(`/v1/messages/${m.body.messageUId}/recall`, {}, { token: tokens.amy })).status).toBe(200);
    const atBob = await waitFor(bobPhone, 'message.recalled', (d) => d.messageUId === m.body.messageUId);
    expect(atBob.data.data).toMatchObject({ conversationType: 1, targetId: 'amy', senderId: 'amy', isDelete: false, isAdmin: false });
    expect((await waitFor(amyLaptop, 'message.recalled', (d) => d.messageUId === m.body.messageUId)).data.data.targetId).toBe('bob');
  });

  it('tells the sender of receipts as they arrive (receipt.updated), in a group and in private', async () => {
    const g = await api.sendText('amy', 3, 'gx', 'read me', { needReadReceipt: true });
    await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === g.body.messageUId);
    expect((await api.post('/v1/receipts', { messageUIds: [g.body.messageUId] }, { token: tokens.bob })).status).toBe(200);
    const update = await waitFor(amyPhone, 'receipt.updated', (d) => d.messageUId === g.body.messageUId && d.readCount === 1);
    expect(update.data.data).toMatchObject({ conversationType: 3, targetId: 'gx', senderId: 'amy', readCount: 1, unreadCount: 1 });

    const p = await api.sendText('amy', 1, 'bob', 'private, read me', { needReadReceipt: true });
    await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === p.body.messageUId);
    expect((await api.post('/v1/receipts', { messageUIds: [p.body.messageUId] }, { token: tokens.bob })).status).toBe(200);
    const peer = await waitFor(amyLaptop, 'receipt.updated', (d) => d.messageUId === p.body.messageUId);
    expect(peer.data.data).toMatchObject({ conversationType: 1, targetId: 'bob', isPeerRead: true, timestamp: expect.any(Number) });
  });

  it("brings a read position to the reader's other device (and, in private, the peer)", async () => {
    const m = await api.sendText('bob', 1, 'amy', 'did you see this');
    await waitFor(amyPhone, 'message.sent', (d) => d.messageUId === m.body.messageUId);
    // amy reads on her phone; her laptop is told, and so is bob.
    const read = await api.post('/v1/conversations/1/bob/read', {}, { token: tokens.amy });
    expect(read.body).toMatchObject({ readSeq: m.body.seq, moved: true });
    const onLaptop = await waitFor(amyLaptop, 'conversation.read', (d) => d.seq === m.body.seq && d.userId === 'amy');
    expect(onLaptop.data.data).toMatchObject({ userId: 'amy', conversationType: 1, targetId: 'bob', lastMessageSendTime: m.body.sentTime, messageUId: m.body.messageUId });
    const atPeer = await waitFor(bobPhone, 'conversation.read', (d) => d.seq === m.body.seq && d.userId === 'amy');
    expect(atPeer.data.data).toMatchObject({ targetId: 'amy', readNtf: { lastMessageSendTime: m.body.sentTime, messageUId: m.body.messageUId, type: 1 } });
  });

  it('brings redpacket.completed when the last share is claimed', async () => {
    const packet = await api.post('/v1/red-packets', { conversationType: 3, targetId: 'gx', totalAmount: 20, count: 2, mode: 'fixed', currency: 'POINTS' }, { as: 'amy' });
    expect(packet.status).toBe(201);
    const { redPacketId, messageUId } = packet.body;
    const start = await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === messageUId);
    expect(start.data.data).toMatchObject({ objectName: 'app:red_packet', expansion: { open: 'false', count: '2', amount: '20', claimed: '0', status: 'unclaimed' } });
    expect((await api.post(`/v1/red-packets/${redPacketId}/claims`, undefined, { token: tokens.bob })).status).toBe(200);
    const partial = await waitFor(amyPhone, 'expansion.updated', (d) => d.messageUId === messageUId && d.updated.status === 'partial');
    expect(partial.data.data.updated).toMatchObject({ claimed: '1', status: 'partial' });
    expect((await api.post(`/v1/red-packets/${redPacketId}/claims`, undefined, { token: tokens.cal })).status).toBe(200);
    for (const c of [amyPhone, bobPhone]) {
      const done = await waitFor(c, 'redpacket.completed', (d) => d.redPacketId === redPacketId);
      expect(done.data.data).toMatchObject({ messageUId, totalAmount: 20, currency: 'POINTS', conversationType: 3, targetId: 'gx' });
      expect(['amy', 'bob', 'cal']).toContain(done.data.data.bestLuckUserId);
      const claimed = await waitFor(c, 'expansion.updated', (d) => d.messageUId === messageUId && d.updated.status === 'claimed');
      expect(claimed.data.data.updated).toMatchObject({ open: 'true', claimed: '2' });
    }
  });

  it('brings redpacket.refunded at expiry, to the sender and the receiver of a private packet', async () => {
    const packet = await api.post('/v1/red-packets', { conversationType: 1, targetId: 'bob', totalAmount: 50, count: 1, mode: 'fixed', currency: 'CNY', expiresInSeconds: 60 }, { as: 'amy' });
    expect(packet.status).toBe(201);
    const { redPacketId, messageUId } = packet.body;
    // Everything so far has reached the streams before the clock moves past the expiry.
    await waitFor(bobPhone, 'message.sent', (d) => d.messageUId === messageUId);
    await waitFor(amyLaptop, 'message.sent', (d) => d.messageUId === messageUId);
    offsetMs = 61_000;
    for (const [c, target] of [[amyLaptop, 'bob'], [bobPhone, 'amy']] as const) {
      const refunded = await waitFor(c, 'redpacket.refunded', (d) => d.redPacketId === redPacketId);
      expect(refunded.data.data).toMatchObject({ messageUId, amount: 50, currency: 'CNY', claimedCount: 0, conversationType: 1, targetId: target, senderId: 'amy' });
      const expired = await waitFor(c, 'expansion.updated', (d) => d.messageUId === messageUId && d.updated.status === 'expired');
      expect(expired.data.data.targetId).toBe(target);
    }
  });
});
