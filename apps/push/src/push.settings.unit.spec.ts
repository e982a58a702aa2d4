import { pushSettings } from './push.settings';

describe('push settings', () => {
  const vapid = { publicKey: 'p', privateKey: 'k', subject: 'mailto:x@example.invalid' };

  it('allows no private network by default and reads the outbound limits', () => {
    expect(pushSettings({}, { vapid })).toMatchObject({ allowedNetworks: [], timeoutMs: 10_000, maxResponseBytes: 65_536, perHostConcurrency: 8, concurrency: 128 });
  });

  it('reads PUSH_ALLOWED_NETWORKS as comma-separated CIDRs', () => {
    expect(pushSettings({ PUSH_ALLOWED_NETWORKS: '10.20.0.0/16, fd00::/8' }, { vapid }).allowedNetworks).toEqual(['10.20.0.0/16', 'fd00::/8']);
  });

  it('refuses to start with a network that is not a CIDR, naming the variable', () => {
    expect(() => pushSettings({ PUSH_ALLOWED_NETWORKS: '10.0.0.0/8,intranet' }, { vapid })).toThrow(
      'PUSH_ALLOWED_NETWORKS must be comma-separated networks in CIDR notation (network: "intranet" is not a network',
    );
    expect(() => pushSettings({ PUSH_PER_HOST_CONCURRENCY: '0' }, { vapid })).toThrow('PUSH_PER_HOST_CONCURRENCY must be between 1');
  });
});
