import { signUserToken, verifyUserToken } from './user-token';

describe('user tokens', () => {
  const secret = 's3cret';
  const token = signUserToken({ sub: 'alice', exp: 2_000 }, secret);

  it('verifies a genuine token before it expires', () => {
    expect(verifyUserToken(token, secret, 1_999)).toEqual({ sub: 'alice', exp: 2_000 });
  });

  it('refuses an expired token, another secret, and a tampered payload', () => {
    expect(verifyUserToken(token, secret, 2_000)).toBeNull();
    expect(verifyUserToken(token, 'other', 1_000)).toBeNull();
    const [v, , sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'mallory', exp: 2_000 })).toString('base64url');
    expect(verifyUserToken(`${v}.${forged}.${sig}`, secret, 1_000)).toBeNull();
  });

  it('refuses garbage', () => {
    for (const bad of ['', 'v1', 'v1..', 'v2.a.b', `${token}.extra`]) expect(verifyUserToken(bad, secret, 0)).toBeNull();
  });
});
