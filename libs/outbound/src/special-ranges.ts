/**
 * Address ranges an outbound request (a webhook, a Web Push endpoint, an app-server callback)
 * never reaches unless an operator allows them: everything in the IANA special-purpose registries
 * that is not the public internet (RFC 6890 and its updates). A user chooses these URLs, so each
 * range here is a way into the machine or its network: the metadata service at 169.254.169.254,
 * NATS on 0.0.0.0:4222, a database on 10.x.
 */
export type RefusalReason = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'shared' | 'multicast' | 'broadcast' | 'reserved';

export interface SpecialRange {
  network: string;
  prefix: number;
  reason: RefusalReason;
}

const range = (cidr: string, reason: RefusalReason): SpecialRange => {
  const [network, prefix] = cidr.split('/');
  return { network, prefix: Number(prefix), reason };
};

export const IPV4_REFUSED: SpecialRange[] = [
  range('0.0.0.0/8', 'unspecified'), // "this network": 0.0.0.0 reaches the local host on Linux
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared'), // carrier-grade NAT (RFC 6598)
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'), // cloud metadata services live here
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  range('192.0.2.0/24', 'reserved'), // documentation
  range('192.88.99.0/24', 'reserved'), // 6to4 relay anycast
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'), // benchmarking
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'broadcast'), // before 240/4, which holds it
  range('240.0.0.0/4', 'reserved'),
];

/**
 * IPv6. IPv4-mapped addresses (::ffff:0:0/96) are not listed: they are checked as the IPv4
 * address they carry. Ranges that embed or translate to an arbitrary IPv4 address (NAT64, 6to4,
 * Teredo, IPv4-compatible) are refused whole, since the IPv4 address behind them may be internal.
 */
export const IPV6_REFUSED: SpecialRange[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::/96', 'reserved'), // IPv4-compatible (deprecated)
  range('64:ff9b::/96', 'reserved'), // NAT64
  range('64:ff9b:1::/48', 'reserved'), // local NAT64
  range('100::/64', 'reserved'), // discard
  range('2001::/23', 'reserved'), // IETF protocol assignments, Teredo
  range('2001:db8::/32', 'reserved'), // documentation
  range('2002::/16', 'reserved'), // 6to4
  range('3fff::/20', 'reserved'), // documentation
  range('fc00::/7', 'private'), // unique local
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'private'), // site-local (deprecated)
  range('ff00::/8', 'multicast'),
];
