import { Subjects } from '@im/contracts';
import { ApiClient, createTestEnv, eventually, startStack, TestEnv, TestStack } from '@im/stack';
import { connect, NatsConnection } from '@nats-io/transport-node';

/**
 * NUL and lone surrogates in any string that enters are a 400 naming the field, never a 500 and
 * never stored (issue 11): in a JSON body, a query parameter and a path parameter at the gateway,
 * and in an RPC request published straight on NATS.
 */
describe('hostile input e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let api: ApiClient;
  let nc: NatsConnection;
  let subjects: Subjects;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    api = stack.api;
    subjects = new Subjects(env.prefix);
    nc = await connect({ servers: env.natsUrl });
    await api.put('/v1/users/alice', { name: 'Alice' });
    await api.put('/v1/users/bob', { name: 'Bob' });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const NUL = 'a\u0000b';
  const LONE = 'a\ud800b';
  /** How a lone surrogate reaches a URL: its three UTF-8-like bytes, which decode to nothing. */
  const LONE_IN_URL = 'a%ED%A0%80b';

  const refusedNaming = (res: { status: number; body: any }, path: string) => {
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([{ path, message: expect.any(String) }]);
  };

  describe('at the gateway', () => {
    it.each([
      ['NUL', NUL],
      ['a lone surrogate', LONE],
    ])('refuses %s in a body field, naming it', async (_what, bad) => {
      refusedNaming(await api.sendText('alice', 1, 'bob', bad), 'body.content.content');
      refusedNaming(await api.put('/v1/users/carol', { name: bad }), 'body.name');
    });

    it('refuses NUL in an object key, naming it escaped', async () => {
      const res = await api.sendText('alice', 1, 'bob', 'x', { content: { content: 'x', ['k\u0000']: 1 } });
      refusedNaming(res, 'body.content.k\\u0000');
    });

    it('refuses input nested deeper than any message needs', async () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 200; i++) deep = { d: deep };
      const res = await api.sendText('alice', 1, 'bob', 'x', { content: { content: 'x', extra: deep } });
      expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    });

    it.each([
      ['NUL', 'a%00b'],
      ['a lone surrogate', LONE_IN_URL],
    ])('refuses %s in a query parameter, naming it', async (_what, bad) => {
      refusedNaming(await api.get(`/v1/conversations?cursor=${bad}`, { as: 'bob' }), 'query.cursor');
      refusedNaming(await api.get(`/v1/conversations/1/alice/messages?before=${bad}`, { as: 'bob' }), 'query.before');
    });

    it.each([
      ['NUL', 'a%00b'],
      ['a lone surrogate', LONE_IN_URL],
    ])('refuses %s in a path parameter, naming it', async (_what, bad) => {
      refusedNaming(await api.get(`/v1/conversations/1/${bad}/messages`, { as: 'bob' }), 'path.targetId');
      refusedNaming(await api.put(`/v1/users/${bad}`, { name: 'x' }), 'path.userId');
    });
  });

  describe('on NATS, straight to the service', () => {
    const send = async (text: string) => {
      const req = { actor: { userId: 'alice', isServer: false }, body: { conversationType: 1, targetId: 'bob', objectName: 'RC:TxtMsg', content: { content: text } } };
      return (await nc.request(subjects.rpc('messaging', 'messages.send'), JSON.stringify(req), { timeout: 10_000 })).json<any>();
    };

    it.each([
      ['NUL', NUL],
      ['a lone surrogate', LONE],
    ])('refuses %s in an RPC request, naming the field', async (_what, bad) => {
      expect(await send(bad)).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', status: 400, message: expect.any(String), details: [{ path: 'body.content.content', message: expect.any(String) }] },
      });
    });
  });

  describe('after all of the above', () => {
    it('stored nothing of it: the first message that gets through is the conversation’s first', async () => {
      const ok = await api.sendText('alice', 1, 'bob', 'hello');
      expect([ok.status, ok.body.seq]).toEqual([201, 1]);
      await eventually(async () => {
        const page = await api.get('/v1/conversations/1/alice/messages', { as: 'bob' });
        expect(page.body.messages.map((m: { content: { content: string } }) => m.content.content)).toEqual(['hello']);
      });
      // The user whose name was refused does not exist.
      expect((await api.post('/v1/users/carol/token')).status).toBe(404);
    });
  });
});
