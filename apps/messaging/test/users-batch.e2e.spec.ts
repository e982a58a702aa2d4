import { jetstreamManager } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { DB } from '@im/service-kit';
import { createTestEnv, startStack, TestEnv, TestStack } from '@im/stack';

/** POST /v1/users/batch: up to 1,000 profiles in one call, idempotent, all or nothing. */
describe('users batch e2e', () => {
  let env: TestEnv;
  let stack: TestStack;
  let nc: NatsConnection;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'] });
    nc = await connect({ servers: env.natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await stack?.close();
    await env?.dispose();
  });

  const users = (n: number, name = (i: number) => `User ${i}`) => Array.from({ length: n }, (_, i) => ({ userId: `bu${i}`, name: name(i) }));

  /** Events in messaging's log (the outbox), so "appended nothing" is checked where it is decided. */
  async function userEvents(): Promise<number> {
    const svc = stack.services.get('messaging')!;
    const db = svc.get(DB);
    const row = await db.selectFrom('events').select((eb: any) => eb.fn.countAll().as('n')).where('type', '=', 'user.upserted').executeTakeFirst();
    return Number(row.n);
  }

  it('creates 1,000 users in one call, and they can be messaged at once', async () => {
    const res = await stack.api.post('/v1/users/batch', { users: users(1000) });
    expect(res.status).toBe(200);
    expect(res.body.changed).toBe(1000);
    expect(res.body.users).toHaveLength(1000);
    expect(res.body.users[7]).toEqual({ userId: 'bu7', name: 'User 7', portrait: null });
    expect((await stack.api.sendText('bu1', 1, 'bu999', 'hi')).status).toBe(201);
    expect(await userEvents()).toBe(1000);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.getMessage(`${env.prefix}_MESSAGING`.toUpperCase(), { last_by_subj: `${env.prefix}.events.messaging.user.upserted` }))?.json<{ type: string }>().type).toBe('user.upserted');
  });

  it('is idempotent: the same batch again changes nothing; a changed profile appends one event', async () => {
    const again = await stack.api.post('/v1/users/batch', { users: users(1000) });
    expect(again.status).toBe(200);
    expect(again.body.changed).toBe(0);
    expect(await userEvents()).toBe(1000);
    const one = await stack.api.post('/v1/users/batch', { users: users(3, (i) => (i === 2 ? 'Renamed' : `User ${i}`)) });
    expect(one.body.changed).toBe(1);
    expect(await userEvents()).toBe(1001);
    expect((await stack.api.post('/v1/users/bu2/token', {})).status).toBe(200);
  });

  it('refuses a bad batch whole: too many, a repeated id, a bad id, a user token', async () => {
    const before = await userEvents();
    const tooMany = await stack.api.post('/v1/users/batch', { users: Array.from({ length: 1001 }, (_, i) => ({ userId: `x${i}`, name: 'x' })) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.code).toBe('VALIDATION_FAILED');
    const repeated = await stack.api.post('/v1/users/batch', { users: [{ userId: 'dup', name: 'a' }, { userId: 'dup', name: 'b' }] });
    expect(repeated.status).toBe(400);
    const badId = await stack.api.post('/v1/users/batch', { users: [{ userId: 'ok1', name: 'a' }, { userId: 'not ok', name: 'b' }] });
    expect(badId.status).toBe(400);
    const token = (await stack.api.post('/v1/users/bu1/token', {})).body.token as string;
    expect((await stack.api.post('/v1/users/batch', { users: users(1) }, { token })).status).toBe(403);
    expect(await userEvents()).toBe(before);
    expect((await stack.api.post('/v1/users/ok1/token', {})).status).toBe(404);
  });
});
