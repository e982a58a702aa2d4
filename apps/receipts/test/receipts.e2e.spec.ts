import { connect, NatsConnection } from '@nats-io/transport-node';
import { rebuildProjection } from '@im/eventstore';
import { DB, NATS, SUBJECTS } from '@im/service-kit';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { conversationsProjection } from '../../messaging/src/conversations/conversations.projection';
import { receiptViewProjection } from '../src/view/receipt-view.projection';

/** Read positions, per-message receipts and who has not read it yet, through HTTP and NATS. */
describe('read receipts e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let offsetMs = 0;
  const events: Array<{ type: string; data: any }> = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { clock: { now: () => new Date(Date.now() + offsetMs) }, settings: { receipts: { aheadWaitMs: 200 } } });
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.receipts.>`, { callback: (_e, m) => void events.push(m.json()) });
    for (const id of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'mallory', 'pat']) await api.put(`/v1/users/${id}`, { name: id });
    await api.put('/v1/groups/g', { name: 'G', memberIds: ['alice', 'bob', 'carol', 'dave', 'erin'] });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const send = async (from: string, type: number, to: string, text: string, extra: Record<string, unknown> = {}) => {
    const res = await api.sendText(from, type, to, text, extra);
    expect(res.status).toBe(201);
    return res.body as { messageUId: string; seq: number; sentTime: number };
  };
  const receipts = (as: string, ...uids: string[]) => api.get(`/v1/receipts?messageUIds=${uids.join(',')}`, { as });
  const readers = async (as: string, uid: string, filter: 'read' | 'unread', extra = '') =>
    (await api.get(`/v1/messages/${uid}/readers?filter=${filter}${extra}`, { as })).body;
  const userIds = (page: { members: Array<{ userId: string }> }) => page.members.map((m) => m.userId);
  const conversation = async (user: string, targetId: string) =>
    (await api.get('/v1/conversations', { as: user })).body.conversations.find((c: { targetId: string }) => c.targetId === targetId);
  /** Receipts' view of messaging may lag, but a 404 is said only after the read barrier: no waiting here. */
  const known = async (sender: string, uid: string) => expect((await receipts(sender, uid)).status).toBe(200);
  const updates = (uid: string) => events.filter((e) => e.type === 'receipt.updated' && e.data.messageUId === uid).map((e) => e.data);

  it('counts receipts and positions of the members at send time: 3 read, 1 unread, listed exactly', async () => {
    const early = await send('alice', 3, 'g', 'before');
    const m = await send('alice', 3, 'g', 'please read', { needReadReceipt: true });
    const mention = await send('alice', 3, 'g', '@dave after', { content: { content: '@dave after', mentionedInfo: { type: 2, userIdList: ['dave'] } }, isMentioned: true });
    await known('alice', m.messageUId);
    await api.post('/v1/groups/g/members', { userIds: ['frank'] });
    await eventually(async () => expect((await conversation('dave', 'g'))?.mentionedCount).toBe(1));

    expect((await api.post('/v1/receipts', { messageUIds: [m.messageUId] }, { as: 'bob' })).body.messageUIds).toEqual([m.messageUId]);
    expect((await api.post('/v1/receipts', { messageUIds: [m.messageUId] }, { as: 'carol' })).status).toBe(200);
    const daveRead = await api.post('/v1/conversations/3/g/read', { seq: mention.seq }, { as: 'dave' });
    expect(daveRead.status).toBe(200);
    expect(daveRead.body).toMatchObject({ conversationType: 3, targetId: 'g', readSeq: m.seq + 1, moved: true });
    expect((await api.post('/v1/conversations/3/g/read', { seq: early.seq }, { as: 'erin' })).body.readSeq).toBe(early.seq);
    // frank joined after it was sent: reading everything does not make him one of its readers.
    expect((await api.post('/v1/conversations/3/g/read', {}, { as: 'frank' })).status).toBe(200);

    await eventually(async () => expect((await receipts('alice', m.messageUId)).body.receipts).toEqual([
      { messageUId: m.messageUId, conversationType: 3, targetId: 'g', readCount: 3, unreadCount: 1 },
    ]));
    const read = await readers('alice', m.messageUId, 'read');
    expect(userIds(read)).toEqual(['bob', 'carol', 'dave']);
    expect(read).toMatchObject({ nextCursor: null, isFinished: true });
    expect(read.members.every((r: { readAt: number }) => r.readAt > 0)).toBe(true);
    expect(userIds(await readers('alice', m.messageUId, 'unread'))).toEqual(['erin']);

    const first = await readers('alice', m.messageUId, 'read', '&limit=2');
    expect(first).toMatchObject({ isFinished: false, members: [{ userId: 'bob' }, { userId: 'carol' }] });
    const second = await readers('alice', m.messageUId, 'read', `&limit=2&cursor=${first.nextCursor}`);
    expect(second).toMatchObject({ isFinished: true, nextCursor: null, members: [{ userId: 'dave' }] });

    await eventually(async () => expect(updates(m.messageUId).at(-1)).toMatchObject({ senderId: 'alice', readCount: 3, unreadCount: 1 }));
    const history = async (as: string) => (await api.get('/v1/conversations/3/g/messages', { as })).body.messages;
    expect((await history('alice')).find((x: { messageUId: string }) => x.messageUId === m.messageUId).receipt).toEqual({ readCount: 3, unreadCount: 1 });
    expect((await history('bob')).find((x: { messageUId: string }) => x.messageUId === m.messageUId).receipt).toBeUndefined();
    const dave = await eventually(async () => {
      const c = await conversation('dave', 'g');
      expect(c.readSeq).toBe(m.seq + 1);
      return c;
    });
    expect(dave).toMatchObject({ unreadCount: 0, mentionedCount: 0 });
    await eventually(async () => expect((await conversation('erin', 'g')).unreadCount).toBe(2));
    const srs = events.find((e) => e.type === 'conversation.read' && e.data.userId === 'dave')!.data;
    expect(srs).toMatchObject({ conversationId: '3:g', seq: m.seq + 1, reported: true, peerId: null, readNtf: null });
    expect(srs.messageUId).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  });

  it('flips isPeerRead in private when the peer reads, with the time', async () => {
    const m = await send('alice', 1, 'pat', 'private, please read', { needReadReceipt: true });
    await known('alice', m.messageUId);
    expect((await receipts('alice', m.messageUId)).body.receipts).toEqual([
      { messageUId: m.messageUId, conversationType: 1, targetId: 'pat', isPeerRead: false, timestamp: null },
    ]);
    offsetMs = 5_000;
    const read = await api.post('/v1/conversations/1/alice/read', {}, { as: 'pat' }).finally(() => (offsetMs = 0));
    expect(read.body).toMatchObject({ readSeq: m.seq, moved: true });
    await eventually(async () => expect((await receipts('alice', m.messageUId)).body.receipts[0]).toMatchObject({ isPeerRead: true, timestamp: read.body.readTime }));
    expect(read.body.readTime).toBeGreaterThanOrEqual(m.sentTime + 5_000);
    await eventually(async () => expect(updates(m.messageUId).at(-1)).toMatchObject({ isPeerRead: true, timestamp: read.body.readTime }));
    const ntf = events.find((e) => e.type === 'conversation.read' && e.data.userId === 'pat')!.data;
    expect(ntf).toMatchObject({ peerId: 'alice', readNtf: { lastMessageSendTime: m.sentTime, messageUId: m.messageUId, type: 1 } });
    expect(userIds(await readers('alice', m.messageUId, 'read'))).toEqual(['pat']);
    const shown = (await api.get('/v1/conversations/1/pat/messages', { as: 'alice' })).body.messages[0];
    expect(shown).toMatchObject({ messageUId: m.messageUId, receipt: { isPeerRead: true, timestamp: read.body.readTime } });
  });

  it('refuses strangers, unknown messages, own messages and messages without receipts, and changes nothing', async () => {
    const m = await send('alice', 3, 'g', 'receipts on', { needReadReceipt: true });
    const plain = await send('alice', 3, 'g', 'receipts off');
    await known('alice', m.messageUId);
    const before = events.length;
    const refuse = async (as: string, uids: string[], status: number, code: string) => {
      const res = await api.post('/v1/receipts', { messageUIds: uids }, { as });
      expect([res.status, res.body.error?.code]).toEqual([status, code]);
    };
    await refuse('mallory', [m.messageUId], 404, 'NOT_FOUND');
    await refuse('bob', ['AAAA-BBBB-CCCC-DDDD'], 404, 'NOT_FOUND');
    await refuse('bob', [m.messageUId, 'AAAA-BBBB-CCCC-DDDD'], 404, 'NOT_FOUND');
    await refuse('alice', [m.messageUId], 422, 'OWN_MESSAGE');
    await refuse('bob', [m.messageUId, plain.messageUId], 422, 'RECEIPT_NOT_REQUESTED');
    await refuse('bob', ['not-a-uid'], 400, 'VALIDATION_FAILED');
    await refuse('bob', Array.from({ length: 101 }, () => m.messageUId), 400, 'VALIDATION_FAILED');
    expect((await api.post('/v1/receipts', { messageUIds: [m.messageUId] })).status).toBe(400);

    expect((await receipts('bob', m.messageUId)).status).toBe(404);
    expect((await receipts('alice', plain.messageUId)).body.error.code).toBe('RECEIPT_NOT_REQUESTED');
    expect((await api.get(`/v1/messages/${m.messageUId}/readers`, { as: 'bob' })).status).toBe(404);
    expect((await api.get(`/v1/messages/${m.messageUId}/readers?limit=201`, { as: 'alice' })).status).toBe(400);
    expect((await api.get(`/v1/messages/${m.messageUId}/readers?cursor=zzz`, { as: 'alice' })).status).toBe(400);
    expect((await api.post(`/v1/messages/${m.messageUId}/receipt-request`, {}, { as: 'bob' })).status).toBe(404);
    expect((await api.post('/v1/conversations/3/g/read', {}, { as: 'mallory' })).status).toBe(404);
    expect((await api.post('/v1/conversations/1/nobody/read', {}, { as: 'bob' })).status).toBe(404);
    const ahead = await api.post('/v1/conversations/3/g/read', { seq: 10_000 }, { as: 'bob' });
    expect([ahead.status, ahead.body.error.code]).toEqual([422, 'READ_SEQ_AHEAD']);
    expect((await api.post('/v1/conversations/4/room/read', {}, { as: 'bob' })).status).toBe(422);
    expect((await api.post('/v1/conversations/3/g/read', { seq: 0 }, { as: 'bob' })).status).toBe(400);

    // A receipts event after the refusals (pat's unchanged setting): any event of theirs would have come before it.
    expect((await api.put('/v1/users/me/settings', { readReceipts: true }, { as: 'pat' })).status).toBe(200);
    await eventually(async () => expect(events.slice(before).some((e) => e.type === 'user.settings.updated' && e.data.userId === 'pat')).toBe(true));
    const touching = events.slice(before).filter((e) => e.type === 'conversation.read' || JSON.stringify(e.data).includes(m.messageUId));
    expect(touching).toEqual([]);
    expect((await receipts('alice', m.messageUId)).body.receipts[0]).toMatchObject({ readCount: 0, unreadCount: 5 });
    expect(userIds(await readers('alice', m.messageUId, 'read'))).toEqual([]);
  });

  it('never moves a position back, even when two devices race', async () => {
    for (let i = 0; i < 6; i++) await send('alice', 3, 'g', `burst ${i}`);
    const last = await send('alice', 3, 'g', 'last of the burst');
    expect((await api.post('/v1/conversations/3/g/read', { seq: last.seq }, { as: 'carol' })).status).toBe(200);
    const seqs = [last.seq - 6, last.seq - 1, last.seq - 3, last.seq - 5, last.seq - 2, last.seq - 4, last.seq - 1, last.seq - 6];
    const results = await Promise.all(seqs.map((seq) => api.post('/v1/conversations/3/g/read', { seq }, { as: 'bob' })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const final = await api.post('/v1/conversations/3/g/read', { seq: 1 }, { as: 'bob' });
    expect(final.body).toMatchObject({ readSeq: last.seq - 1, moved: false });
    const moves = await eventually(async () => {
      const bob = events.filter((e) => e.type === 'conversation.read' && e.data.userId === 'bob' && e.data.seq >= last.seq - 6).map((e) => e.data);
      expect(bob.at(-1)?.seq).toBe(last.seq - 1);
      return bob;
    });
    for (const e of moves) expect(e.seq).toBeGreaterThan(e.previousSeq);
    expect(moves.map((e) => e.seq)).toEqual([...moves.map((e) => e.seq)].sort((a, b) => a - b));
    await eventually(async () => expect((await conversation('bob', 'g')).readSeq).toBe(last.seq - 1));
    expect((await conversation('bob', 'g')).unreadCount).toBe(1);
  });

  it('turns receipts on later for the sender only (RC:RRReqMsg), counting reads that already happened', async () => {
    const m = await send('alice', 3, 'g', 'receipts later');
    await eventually(async () => expect((await receipts('alice', m.messageUId)).status).toBe(422));
    await api.post('/v1/conversations/3/g/read', {}, { as: 'dave' });
    expect((await api.post('/v1/receipts', { messageUIds: [m.messageUId] }, { as: 'bob' })).status).toBe(422);
    const asked = await api.post(`/v1/messages/${m.messageUId}/receipt-request`, {}, { as: 'alice' });
    expect(asked.body).toEqual({ messageUId: m.messageUId, needReadReceipt: true, requested: true });
    expect((await api.post(`/v1/messages/${m.messageUId}/receipt-request`, {}, { as: 'alice' })).body.requested).toBe(false);
    expect((await api.post('/v1/receipts', { messageUIds: [m.messageUId] }, { as: 'bob' })).status).toBe(200);
    await eventually(async () => expect((await receipts('alice', m.messageUId)).body.receipts[0]).toMatchObject({ readCount: 2, unreadCount: 3 }));
    await eventually(async () => {
      expect(events.filter((e) => e.type === 'receipt.requested' && e.data.messageUId === m.messageUId)).toHaveLength(1);
      const rsp = events.find((e) => e.type === 'receipt.sent' && e.data.receiptMessageDic.alice?.includes(m.messageUId));
      expect(rsp?.data).toMatchObject({ userId: 'bob', conversationType: 3, targetId: 'g' });
    });
  });

  it('keeps a user who turned receipts off in the unread list, while their own counts clear', async () => {
    const token = (await api.post('/v1/users/erin/token')).body.token;
    const off = await api.put('/v1/users/me/settings', { readReceipts: false }, { token });
    expect(off.body).toEqual({ userId: 'erin', readReceipts: false });
    expect((await api.get('/v1/users/me/settings', { as: 'erin' })).body.readReceipts).toBe(false);
    const m = await send('alice', 3, 'g', 'do you read me, erin?', { needReadReceipt: true });
    await known('alice', m.messageUId);
    expect((await api.post('/v1/receipts', { messageUIds: [m.messageUId] }, { token })).body.messageUIds).toEqual([]);
    expect((await api.post('/v1/conversations/3/g/read', {}, { token })).body.moved).toBe(true);
    await api.post('/v1/receipts', { messageUIds: [m.messageUId] }, { as: 'bob' });
    await eventually(async () => expect((await receipts('alice', m.messageUId)).body.receipts[0]).toMatchObject({ readCount: 1, unreadCount: 4 }));
    expect(userIds(await readers('alice', m.messageUId, 'unread'))).toContain('erin');
    await eventually(async () => expect(await conversation('erin', 'g')).toMatchObject({ unreadCount: 0, readSeq: m.seq }));
    const erinRead = events.filter((e) => e.type === 'conversation.read' && e.data.userId === 'erin').at(-1)!.data;
    expect(erinRead).toMatchObject({ reported: false, seq: m.seq });
    await api.put('/v1/users/me/settings', { readReceipts: true }, { token });
  });

  it('rebuilds the conversation lists and the receipts view, positions included, to the same state', async () => {
    const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'pat'];
    const lists = async () => Promise.all(users.map(async (u) => (await api.get('/v1/conversations', { as: u })).body));
    const mine = events.filter((e) => e.type === 'receipt.updated').map((e) => e.data.messageUId);
    const counts = async () => ({
      counts: (await receipts('alice', ...new Set(mine))).body,
      readers: await Promise.all([...new Set(mine)].map(async (uid) => userIds(await readers('alice', uid, 'read')))),
    });
    // Settled: two reads a moment apart agree.
    const before = await eventually(async () => {
      const a = await lists();
      await new Promise((r) => setTimeout(r, 150));
      expect(await lists()).toEqual(a);
      return a;
    });
    const countsBefore = await counts();
    for (const [name, projection] of [['messaging', conversationsProjection], ['receipts', receiptViewProjection]] as const) {
      const app = stack.services.get(name)!;
      await rebuildProjection({ db: app.get(DB), jsm: app.get(NATS).jsm, subjects: app.get(SUBJECTS), owner: name, projection });
    }
    await eventually(async () => expect(await lists()).toEqual(before), 20_000);
    await eventually(async () => expect(await counts()).toEqual(countsBefore), 20_000);
  });
});
