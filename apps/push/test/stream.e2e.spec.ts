import { PresenceBoard } from '@im/realtime';
import { ApiClient, createTestEnv, eventually, SseClient, startStack, TestEnv, TestStack } from '@im/stack';
import { PUSH_PRESENCE } from '../src/pushes/push.worker';

/** Deliveries are kept for a user this long after their last stream closed (short here, to test past it). */
const RECENT_MS = 1500;

/**
 * The real-time stream end to end: the whole stack, two devices of one user on
 * GET /v1/stream, events produced through HTTP, fanned out by push, served by the gateway.
 */
describe('real-time stream e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  const open: SseClient[] = [];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    process.env.STREAM_RECENT_MS = String(RECENT_MS);
    env = await createTestEnv();
    stack = await startStack(env);
    api = stack.api;
    for (const id of ['ana', 'bo', 'cy']) {
      await api.put(`/v1/users/${id}`, { name: id.toUpperCase() });
      tokens[id] = (await api.post(`/v1/users/${id}/token`)).body.token;
    }
    await api.put('/v1/groups/gs', { name: 'Stream', memberIds: ['ana', 'bo', 'cy'] });
    await api.put('/v1/message-types/app:typing', { isPersisted: false, isCounted: false, isStatus: true });
  });

  afterAll(async () => {
    delete process.env.STREAM_RECENT_MS;
    open.forEach((c) => c.close());
    await stack?.close();
    await env?.dispose();
  });

  const device = async (user: string, deviceId: string, lastEventId?: string | null) => {
    const headers: Record<string, string> = { authorization: `Bearer ${tokens[user]}` };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const c = new SseClient(`${api.baseUrl}/v1/stream?deviceId=${deviceId}`, headers);
    await c.open();
    open.push(c);
    return c;
  };
  const types = (c: SseClient) => c.events.map((e) => e.event);

  it('brings a group message, an expansion change and a red packet claim to both devices, in order, and resumes with Last-Event-ID', async () => {
    const phone = await device('bo', 'phone');
    const laptop = await device('bo', 'laptop');
    // The push service hears of these streams from the gateway's presence announcements.
    await eventually(async () => {
      await api.sendText('ana', 3, 'gs', 'warm-up');
      await phone.waitFor(1, 1_000);
    });
    const before = phone.events.length;
    const msg = await api.sendText('ana', 3, 'gs', 'hello', { canIncludeExpansion: true });
    await phone.waitFor(before + 1);
    await api.call('PATCH', `/v1/messages/${msg.body.messageUId}/expansion`, { set: { mood: 'sunny' } }, { token: tokens.ana });
    const packet = await api.post('/v1/red-packets', { conversationType: 3, targetId: 'gs', totalAmount: 30, count: 3, mode: 'fixed', currency: 'CNY' }, { as: 'ana' });
    expect(packet.status).toBe(201);
    expect((await api.post(`/v1/red-packets/${packet.body.redPacketId}/claims`, undefined, { as: 'cy' })).status).toBe(200);

    for (const d of [phone, laptop]) {
      await eventually(async () => expect(types(d)).toEqual(expect.arrayContaining(['message.sent', 'expansion.updated', 'redpacket.claimed'])));
      const seen = d.events.map((e) => e.event);
      const at = (type: string, pred: (data: any) => boolean) => d.events.findIndex((e) => e.event === type && pred(e.data.data));
      expect(at('message.sent', (x) => x.messageUId === msg.body.messageUId)).toBeLessThan(at('expansion.updated', (x) => x.messageUId === msg.body.messageUId));
      expect(seen.indexOf('redpacket.claimed')).toBeGreaterThan(at('expansion.updated', (x) => x.messageUId === msg.body.messageUId));
      const ids = d.events.filter((e) => e.id !== null).map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }

    // Both devices have every event; bo's first stream also had the resync push sends a user new to it.
    const news = (c: SseClient) => c.events.filter((e) => e.event !== 'resync');
    await eventually(async () => expect(news(laptop).length).toBe(news(phone).length));
    laptop.close();
    const resumeFrom = laptop.lastId;
    const missed = [await api.sendText('ana', 3, 'gs', 'while away 1'), await api.sendText('cy', 3, 'gs', 'while away 2')];
    await eventually(async () => {
      const uids = phone.events.filter((e) => e.event === 'message.sent').map((e) => e.data.data.messageUId);
      expect(uids).toEqual(expect.arrayContaining(missed.map((m) => m.body.messageUId)));
    });
    const back = await device('bo', 'laptop', resumeFrom);
    // A message after the resume: the replay comes before it, so once both devices have it, nothing else is on its way.
    const sentinel = await api.sendText('ana', 3, 'gs', 'after the resume');
    const has = (d: SseClient) => d.events.some((e) => e.data.data?.messageUId === sentinel.body.messageUId);
    await eventually(async () => expect([has(phone), has(back)]).toEqual([true, true]));
    const expected = phone.events.filter((e) => e.id !== null && Number(e.id) > Number(resumeFrom)).map((e) => e.data.id);
    expect(back.events.map((e) => e.data.id)).toEqual(expected);
    expect(back.events.filter((e) => e.event === 'message.sent').map((e) => e.data.data.messageUId)).toEqual([...missed, sentinel].map((m) => m.body.messageUId));
  });

  it('brings a status message only to users connected now, and never stores it', async () => {
    const cy = await device('cy', 'cy-phone');
    await eventually(async () => {
      await api.sendText('ana', 3, 'gs', 'ping cy');
      await cy.waitFor(1, 1_000);
    });
    const typing = await api.post('/v1/messages', { conversationType: 3, targetId: 'gs', objectName: 'app:typing', content: { on: true } }, { as: 'ana' });
    expect(typing.body.seq).toBeNull();
    await eventually(async () => expect(cy.events.find((e) => e.data.data?.messageUId === typing.body.messageUId)).toMatchObject({ id: null, event: 'message.sent' }));
    const history = await api.get('/v1/conversations/3/gs/messages?limit=100', { as: 'cy' });
    expect(history.body.messages.map((m: { messageUId: string }) => m.messageUId)).not.toContain(typing.body.messageUId);
    // A device that connects later with an old Last-Event-ID never gets it.
    const later = await device('cy', 'cy-tablet', '0');
    // A stored message after it: the replay from the start comes before it, so waiting for it waits the replay out.
    const sentinel = await api.sendText('ana', 3, 'gs', 'after the typing');
    await eventually(async () => expect(later.events.some((e) => e.data.data?.messageUId === sentinel.body.messageUId)).toBe(true));
    expect(later.events.some((e) => e.data.data?.messageUId === typing.body.messageUId)).toBe(false);
  });

  it('tells a device back after deliveries stopped being kept for it to resync, then goes on live', async () => {
    const board = stack.services.get('push')!.get<PresenceBoard>(PUSH_PRESENCE);
    const observer = await device('cy', 'cy-observer');
    const first = await device('ana', 'ana-phone');
    // New to push: nothing was kept for her before, so the stream says so first.
    await first.waitFor(1);
    expect(first.events[0]).toMatchObject({ event: 'resync', data: { reason: 'not_kept' } });
    const m1 = await api.sendText('bo', 3, 'gs', 'for ana');
    await eventually(async () => expect(first.events.map((e) => e.data.data?.messageUId)).toContain(m1.body.messageUId));
    const resumeFrom = first.lastId;
    first.close();
    await eventually(async () => expect(board.recentlyOnline('ana', RECENT_MS)).toBe(false));
    const missed = await api.sendText('bo', 3, 'gs', 'while ana is long gone');
    // Fanned out (to everyone around) once another member's stream has it.
    await eventually(async () => expect(observer.events.map((e) => e.data.data?.messageUId)).toContain(missed.body.messageUId));
    const back = await device('ana', 'ana-phone', resumeFrom);
    const after: string[] = [];
    await eventually(async () => {
      after.push((await api.sendText('bo', 3, 'gs', 'ana is back')).body.messageUId);
      await back.waitFor(2, 500);
    });
    expect(back.events[0]).toMatchObject({ event: 'resync', data: { reason: 'not_kept' } });
    expect(Number(back.events[0].id)).toBeGreaterThan(Number(resumeFrom));
    const uids = back.events.filter((e) => e.event === 'message.sent').map((e) => e.data.data.messageUId);
    expect(uids.length).toBeGreaterThan(0);
    expect(after).toEqual(expect.arrayContaining(uids));
    expect(uids).not.toContain(missed.body.messageUId);
  });
});
