import { AddressPolicy, canonicalIp, parseNetworkList } from './address-policy';
import { OutboundClient } from './outbound-client';
import { OutboundError } from './outbound-error';
import { Resolver } from './target';

/** The SSRF list of the security issue, and the public addresses that must stay reachable. */
describe('outbound address policy', () => {
  const names: Record<string, string[]> = {
    'metadata.attacker.example': ['169.254.169.254'],
    'mixed.attacker.example': ['93.184.215.14', '10.0.0.7'],
    'public.example': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    localhost: ['127.0.0.1', '::1'],
  };
  const resolve: Resolver = async (host) => {
    if (names[host]) return names[host];
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
  const client = (allowed: string[] = []) =>
    new OutboundClient({ policy: new AddressPolicy(allowed), deadlineMs: 1000, maxResponseBytes: 1024, perHostConcurrency: 1, concurrency: 1, resolve });
  const refusalOf = async (c: OutboundClient, url: string) => {
    try {
      await c.check(url);
      return null;
    } catch (e) {
      if (!(e instanceof OutboundError)) throw e;
      return { kind: e.kind, ...e.refusal };
    }
  };

  const refused: Array<[string, string, string]> = [
    ['http://127.0.0.1/', '127.0.0.1', 'loopback'],
    ['http://10.1.2.3/', '10.1.2.3', 'private'],
    ['http://172.16.5.4/', '172.16.5.4', 'private'],
    ['http://192.168.1.1/', '192.168.1.1', 'private'],
    ['http://0.0.0.0:4222/', '0.0.0.0', 'unspecified'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254', 'link-local'],
    ['http://[::1]/', '::1', 'loopback'],
    ['http://[::]/', '::', 'unspecified'],
    ['http://[::ffff:169.254.169.254]/', '169.254.169.254', 'link-local'],
    ['http://[::ffff:a9fe:a9fe]/', '169.254.169.254', 'link-local'],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', '127.0.0.1', 'loopback'],
    ['http://2130706433/', '127.0.0.1', 'loopback'],
    ['http://0x7f.1/', '127.0.0.1', 'loopback'],
    ['http://017700000001/', '127.0.0.1', 'loopback'],
    ['http://127.1:8080/', '127.0.0.1', 'loopback'],
    ['http://[fe80::1]/', 'fe80::1', 'link-local'],
    ['http://[ff02::1]/', 'ff02::1', 'multicast'],
    ['http://[fd12:3456::1]/', 'fd12:3456::1', 'private'],
    ['http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', 'reserved'],
    ['http://[2002:a9fe:a9fe::1]/', '2002:a9fe:a9fe::1', 'reserved'],
    ['http://100.64.0.1/', '100.64.0.1', 'shared'],
    ['http://224.0.0.1/', '224.0.0.1', 'multicast'],
    ['http://255.255.255.255/', '255.255.255.255', 'broadcast'],
    ['http://240.0.0.1/', '240.0.0.1', 'reserved'],
    ['http://198.18.0.1/', '198.18.0.1', 'reserved'],
    ['https://metadata.attacker.example/', '169.254.169.254', 'link-local'],
    ['https://mixed.attacker.example/', '10.0.0.7', 'private'],
    ['http://localhost:3000/', '127.0.0.1', 'loopback'],
  ];
  it.each(refused)('refuses %s (%s is %s)', async (url, address, reason) => {
    expect(await refusalOf(client(), url)).toEqual({ kind: 'refused', url, address, reason });
  });

  it.each([
    ['http://93.184.215.14/hook'],
    ['https://8.8.8.8:8443/'],
    ['http://[2606:4700:4700::1111]/'],
    ['http://[::ffff:8.8.8.8]/'],
    ['https://public.example/push'],
    ['http://100.63.255.255/'],
    ['http://100.128.0.1/'],
    ['http://172.32.0.1/'],
  ])('allows the public %s', async (url) => {
    expect(await refusalOf(client(), url)).toBeNull();
  });

  it.each([
    ['ftp://93.184.215.14/', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['http://user:pass@93.184.215.14/', 'credentials'],
    ['http://:pass@93.184.215.14/', 'credentials'],
    ['not a url', 'invalid'],
  ])('refuses the URL %s (%s)', async (url, reason) => {
    expect(await refusalOf(client(), url)).toEqual({ kind: 'refused', url, address: null, reason });
  });

  it('says a name that does not exist is unresolved', async () => {
    expect(await refusalOf(client(), 'https://nowhere.invalid/')).toMatchObject({ kind: 'unresolved' });
  });

  it('allows exactly the named networks, IPv4-mapped forms included', async () => {
    const c = client(['127.0.0.0/8', '::1/128', '10.9.0.0/16']);
    for (const url of ['http://127.0.0.1:9/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://localhost/', 'http://10.9.200.1/']) {
      expect(await refusalOf(c, url)).toBeNull();
    }
    expect(await refusalOf(c, 'http://10.8.0.1/')).toMatchObject({ address: '10.8.0.1', reason: 'private' });
    expect(await refusalOf(c, 'http://169.254.169.254/')).toMatchObject({ reason: 'link-local' });
  });

  it('reads a comma-separated list and refuses what is not a network, naming it', () => {
    expect(parseNetworkList(' 10.0.0.0/8, fd00::/8 ,192.168.1.5', 'PUSH_ALLOWED_NETWORKS')).toEqual(['10.0.0.0/8', 'fd00::/8', '192.168.1.5']);
    expect(parseNetworkList(undefined, 'X')).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/8/1', '10.0.0.0/', '10.0.0.0/x']) {
      expect(() => parseNetworkList(bad, 'PUSH_ALLOWED_NETWORKS')).toThrow(`PUSH_ALLOWED_NETWORKS: "${bad}"`);
    }
  });

  it('checks IPv4-mapped IPv6 as the IPv4 address it reaches', () => {
    expect(canonicalIp('::ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(canonicalIp('::FFFF:169.254.169.254')).toBe('169.254.169.254');
    expect(canonicalIp('FE80:0:0::1%eth0')).toBe('fe80::1');
    expect(new AddressPolicy(['::ffff:10.0.0.0/104']).refusal('10.1.1.1')).toBeNull();
  });
});
