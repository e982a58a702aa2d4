import { inboxPrefixOf, natsAuthFromEnv, natsAuthOptions } from './nats-auth';

describe('NATS credentials from the environment', () => {
  it('is anonymous with nothing set, on the default inbox', () => {
    expect(natsAuthFromEnv({})).toBeUndefined();
    expect(natsAuthOptions(undefined)).toEqual({ inboxPrefix: '_INBOX' });
  });

  it('takes a user and password, with replies under the user', () => {
    const auth = natsAuthFromEnv({ NATS_USER: 'push', NATS_PASSWORD: 's3cret' });
    expect(natsAuthOptions(auth)).toEqual({ user: 'push', pass: 's3cret', inboxPrefix: '_INBOX.push' });
  });

  it('takes a token, and an inbox prefix of its own', () => {
    expect(natsAuthOptions(natsAuthFromEnv({ NATS_TOKEN: 't' }))).toEqual({ token: 't', inboxPrefix: '_INBOX' });
    expect(inboxPrefixOf(natsAuthFromEnv({ NATS_TOKEN: 't', NATS_INBOX_PREFIX: '_INBOX.wallet' }))).toBe('_INBOX.wallet');
  });

  it('refuses half a user, and two kinds of credentials at once, naming the variables', () => {
    expect(() => natsAuthFromEnv({ NATS_USER: 'push' })).toThrow('NATS_USER and NATS_PASSWORD go together');
    expect(() => natsAuthFromEnv({ NATS_PASSWORD: 'x' })).toThrow('NATS_USER and NATS_PASSWORD go together');
    expect(() => natsAuthFromEnv({ NATS_USER: 'a', NATS_PASSWORD: 'b', NATS_TOKEN: 't' })).toThrow('NATS_USER/NATS_PASSWORD, NATS_TOKEN');
    expect(() => natsAuthFromEnv({ NATS_TOKEN: 't', NATS_CREDS: '/x.creds' })).toThrow('NATS_TOKEN, NATS_CREDS');
  });
});
