import { createTestEnv, startStack, TestEnv, TestStack } from '@im/stack';
import { signUserToken, verifyUserToken } from '../src/auth/user-token';

const CURRENT = 'c'.repeat(40);
const PREVIOUS = 'p'.repeat(40);

/** IM_TOKEN_SECRET_PREVIOUS: tokens signed before a rotation keep working; new ones use the current secret. */
describe('token secret rotation', () => {
  let env: TestEnv;
  let stack: TestStack;
  const hour = () => Date.now() + 3600_000;

  beforeAll(async () => {
    env = await createTestEnv();
    stack = await startStack(env, { only: ['messaging'], gateway: { tokenSecret: CURRENT, previousTokenSecrets: [PREVIOUS] } });
    await stack.api.put('/v1/users/ana', { name: 'Ana' });
  });

  afterAll(async () => {
    await stack?.close();
    await env?.dispose();
  });

  it('accepts a token signed with the previous secret', async () => {
    const old = signUserToken({ sub: 'ana', exp: hour() }, PREVIOUS);
    const res = await stack.api.get('/v1/conversations', { token: old });
    expect(res.status).toBe(200);
  });

  it('refuses a token signed with a secret it does not know', async () => {
    const forged = signUserToken({ sub: 'ana', exp: hour() }, 'u'.repeat(40));
    const res = await stack.api.get('/v1/conversations', { token: forged });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('signs new tokens with the current secret only', async () => {
    const issued = await stack.api.post('/v1/users/ana/token', { ttlSeconds: 3600 });
    expect(issued.status).toBe(200);
    expect(verifyUserToken(issued.body.token, CURRENT, Date.now())).toMatchObject({ sub: 'ana' });
    expect(verifyUserToken(issued.body.token, PREVIOUS, Date.now())).toBeNull();
    expect((await stack.api.get('/v1/conversations', { token: issued.body.token })).status).toBe(200);
  });
});
