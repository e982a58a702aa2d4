import { GatewayConfig } from '../gateway.config';
import { resolveActor } from './actor';
import { signUserToken } from './user-token';

const config = (tokenSecret: string) => ({ apiKey: 'k'.repeat(40), tokenSecret, previousTokenSecrets: [] }) as unknown as GatewayConfig;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const now = 1_700_000_000_000;

describe('resolveActor with user tokens', () => {
  it('given a genuine token, when used again, then the same user (remembered after the first check)', () => {
    const c = config('s'.repeat(40));
    const token = signUserToken({ sub: 'ann', exp: now + 1000 }, 's'.repeat(40));
    expect(resolveActor(bearer(token), c, now)).toEqual({ userId: 'ann', isServer: false });
    expect(resolveActor(bearer(token), c, now + 1)).toEqual({ userId: 'ann', isServer: false });
  });

  it('given a remembered token, when it has expired, then 401', () => {
    const c = config('s'.repeat(40));
    const token = signUserToken({ sub: 'ann', exp: now + 1000 }, 's'.repeat(40));
    resolveActor(bearer(token), c, now);
    expect(() => resolveActor(bearer(token), c, now + 1000)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });

  it('given a token remembered by one gateway, when another with other secrets sees it, then 401 there', () => {
    const token = signUserToken({ sub: 'ann', exp: now + 1000 }, 'a'.repeat(40));
    resolveActor(bearer(token), config('a'.repeat(40)), now);
    expect(() => resolveActor(bearer(token), config('b'.repeat(40)), now)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });

  it('given a forged signature, then 401 (and nothing is remembered)', () => {
    const c = config('s'.repeat(40));
    const forged = signUserToken({ sub: 'ann', exp: now + 1000 }, 'x'.repeat(40));
    expect(() => resolveActor(bearer(forged), c, now)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
    expect(() => resolveActor(bearer(forged), c, now)).toThrow(expect.objectContaining({ code: 'UNAUTHORIZED' }));
  });
});
