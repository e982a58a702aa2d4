import { jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { BUILT_IN_MESSAGE_TYPES } from '@im/contracts';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { INVALID_CONTENT, VALID_CONTENT } from '../../../libs/contracts/src/message-fixtures';

/** Every built-in type of the seeds through the gateway, with its flags honoured. */
describe('message-type catalogue e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  const published: string[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env);
    api = stack.api;
    nc = await connect({ servers: env.natsUrl });
    nc.subscribe(`${env.prefix}.events.messaging.message.sent`, { callback: (_e, m) => void published.push(m.json<any>().data.messageUId) });
    for (const id of ['alice', 'bob']) await api.put(`/v1/users/${id}`, { name: id });
    await api.put('/v1/groups/g', { name: 'G', memberIds: ['alice', 'bob'] });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const streamCount = async () => (await (await jetstreamManager(nc)).streams.info(`${env.prefix}_MESSAGING`.toUpperCase())).state.messages;
  const send = (objectName: string, content: unknown, extra: Record<string, unknown> = {}) =>
    api.post('/v1/messages', { conversationType: 3, targetId: 'g', objectName, content, ...extra }, { as: 'alice' });

  it('sends a valid example of every type and honours stored, counted and seq', async () => {
    const accepted: Array<{ objectName: string; messageUId: string; seq: number | null }> = [];
    for (const [objectName, def] of BUILT_IN_MESSAGE_TYPES) {
      const res = await send(objectName, VALID_CONTENT[objectName]);
      if (def.producedBy) {
        expect(res.status).toBe(422);
        expect(res.body.error).toMatchObject({ code: 'USE_DEDICATED_ENDPOINT', details: { endpoint: def.producedBy } });
        continue;
      }
      expect({ objectName, status: res.status }).toEqual({ objectName, status: 201 });
      expect({ objectName, stored: res.body.seq !== null }).toEqual({ objectName, stored: def.isPersisted });
      accepted.push({ objectName, ...res.body });
    }
    const stored = accepted.filter((a) => a.seq !== null);
    expect(stored.map((a) => a.seq)).toEqual(stored.map((_, i) => i + 1));

    const history = await eventually(async () => {
      const h = await api.get('/v1/conversations/3/g/messages?limit=100', { as: 'bob' });
      expect(h.body.messages).toHaveLength(stored.length);
      return h.body.messages as Array<{ objectName: string; content: unknown }>;
    });
    expect(history.map((m) => m.objectName).reverse()).toEqual(stored.map((a) => a.objectName));
    for (const m of history) expect(m.content).toMatchObject(VALID_CONTENT[m.objectName]);

    const counted = [...BUILT_IN_MESSAGE_TYPES.values()].filter((d) => !d.producedBy && d.isPersisted && d.isCounted).length;
    const bob = (await api.get('/v1/conversations', { as: 'bob' })).body.conversations[0];
    expect(bob.unreadCount).toBe(counted);
    // Non-stored types still reach NATS, for online delivery.
    await eventually(async () => expect(published.sort()).toEqual(accepted.map((a) => a.messageUId).sort()));
  });

  const invalid = [...BUILT_IN_MESSAGE_TYPES.keys()].flatMap((objectName) =>
    INVALID_CONTENT[objectName].map((v) => [objectName, v.name, v.content, v.path] as const),
  );

  it.each(invalid)('%s: %s is refused with the field named', async (objectName, _name, content, path) => {
    const before = await streamCount();
    const res = await send(objectName, content);
    expect([400, 413]).toContain(res.status);
    const named = res.body.error.details?.map?.((d: { path: string }) => d.path) ?? [res.body.error.details?.field];
    expect(named).toContain(`content.${path}`);
    expect(await streamCount()).toBe(before);
  });

  it('refuses a whole content over 128 KB with 413', async () => {
    const res = await send('RC:TxtMsg', { content: 'x'.repeat(129 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body.error.details).toEqual({ field: 'content', limit: 131072 });
  });

  it('registers custom types at run time, and their flags change behaviour', async () => {
    expect((await send('app:poke', {})).body.error.code).toBe('UNKNOWN_MESSAGE_TYPE');
    for (const [name, body, status] of [
      ['RC:Mine', { isPersisted: true, isCounted: true }, 400],
      ['x'.repeat(33), { isPersisted: true, isCounted: true }, 400],
      ['app:poke', { isPersisted: 'yes' }, 400],
    ] as const) {
      const res = await api.put(`/v1/message-types/${encodeURIComponent(name)}`, body);
      expect(res.status).toBe(status);
    }
    const token = (await api.post('/v1/users/alice/token')).body.token;
    expect((await api.put('/v1/message-types/app:poke', { isPersisted: true, isCounted: false }, { token })).status).toBe(403);

    expect((await api.put('/v1/message-types/app:poke', { isPersisted: true, isCounted: false, pushContent: 'Poke!' })).status).toBe(200);
    const before = (await api.get('/v1/conversations', { as: 'bob' })).body.conversations[0].unreadCount;
    const stored = await send('app:poke', { strength: 3 });
    expect(stored.status).toBe(201);
    expect(stored.body.seq).toEqual(expect.any(Number));
    await eventually(async () => {
      const c = (await api.get('/v1/conversations', { as: 'bob' })).body.conversations[0];
      expect(c.lastMessage.messageUId).toBe(stored.body.messageUId);
      expect(c.unreadCount).toBe(before); // stored, not counted
    });

    // Now counted: the same name, changed flags, changed behaviour.
    await api.put('/v1/message-types/app:poke', { isPersisted: true, isCounted: true });
    await send('app:poke', { strength: 4 });
    await eventually(async () => expect((await api.get('/v1/conversations', { as: 'bob' })).body.conversations[0].unreadCount).toBe(before + 1));

    // A status type: never stored, never takes a seq, still published.
    await api.put('/v1/message-types/app:typing', { isPersisted: true, isCounted: true, isStatus: true });
    const typing = await send('app:typing', { typing: true });
    expect(typing.status).toBe(201);
    expect(typing.body.seq).toBeNull();
    await eventually(async () => expect(published).toContain(typing.body.messageUId));
    const h = await api.get('/v1/conversations/3/g/messages?limit=100', { as: 'bob' });
    expect(h.body.messages.map((m: { messageUId: string }) => m.messageUId)).not.toContain(typing.body.messageUId);
  });
});
