import { BlockList, isIP } from 'node:net';
import { IPV4_REFUSED, IPV6_REFUSED, RefusalReason } from './special-ranges';

export interface Network {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Why an address may not be reached: the address as checked (IPv4-mapped IPv6 unmapped) and its range. */
export interface AddressRefusal {
  address: string;
  reason: RefusalReason;
}

interface CompiledRange {
  list: BlockList;
  reason: RefusalReason;
}

/**
 * Which IP addresses an outbound request may connect to: everything public, nothing loopback,
 * private, link-local, shared, multicast, broadcast, unspecified or reserved, except the ranges
 * an operator allowed (`PUSH_ALLOWED_NETWORKS`, for a self-hosted receiver on the LAN and for
 * tests on 127.0.0.1). Works on IP addresses only: names are resolved by the caller and every
 * address they resolve to is checked.
 */
export class AddressPolicy {
  private readonly allowed = new BlockList();
  private readonly v4 = compile(IPV4_REFUSED, 'ipv4');
  private readonly v6 = compile(IPV6_REFUSED, 'ipv6');
  readonly allowedNetworks: Network[];

  /** Throws on a network that is not a CIDR (or a single address), naming it. */
  constructor(allowedNetworks: readonly string[] = [], name = 'allowed networks') {
    this.allowedNetworks = allowedNetworks.map((n) => parseNetwork(n, name));
    for (const n of this.allowedNetworks) this.allowed.addSubnet(n.network, n.prefix, n.family);
  }

  /** Null when the address may be reached; otherwise why not. `ip` must be an IP address. */
  refusal(ip: string): AddressRefusal | null {
    const address = canonicalIp(ip);
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (this.allowed.check(address, family)) return null;
    for (const range of family === 'ipv4' ? this.v4 : this.v6) {
      if (range.list.check(address, family)) return { address, reason: range.reason };
    }
    return null;
  }
}

function compile(ranges: typeof IPV4_REFUSED, family: 'ipv4' | 'ipv6'): CompiledRange[] {
  // One list per range (ordered: a narrower range before the one holding it) so a refusal can
  // say which range it was; a BlockList answers only yes or no.
  return ranges.map((r) => {
    const list = new BlockList();
    list.addSubnet(r.network, r.prefix, family);
    return { list, reason: r.reason };
  });
}

/**
 * The form an address is checked in: IPv6 compressed and lower-case without a zone, and an
 * IPv4-mapped IPv6 address (`::ffff:169.254.169.254`, `::ffff:a9fe:a9fe`) as the IPv4 address it
 * reaches, so it meets the IPv4 rules and the IPv4 allowances.
 */
export function canonicalIp(ip: string): string {
  const kind = isIP(ip);
  if (kind === 4) return ip;
  if (kind !== 6) throw new TypeError(`not an IP address: ${ip}`);
  const compressed = new URL(`http://[${ip.split('%')[0]}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** `10.0.0.0/8`, `fd00::/8`, or one address (`192.168.1.5` is `/32`). */
export function parseNetwork(text: string, name: string): Network {
  const [addr, bits, extra] = text.trim().split('/');
  const kind = isIP(addr ?? '');
  const max = kind === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (kind === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
    throw new Error(`${name}: "${text}" is not a network in CIDR notation (such as 10.0.0.0/8 or fd00::/8)`);
  }
  const canonical = canonicalIp(addr);
  if (kind === 6 && isIP(canonical) === 4) {
    // An IPv4-mapped network is the IPv4 network it maps, like the addresses checked against it.
    return { network: canonical, prefix: Math.max(prefix - 96, 0), family: 'ipv4' };
  }
  return { network: canonical, prefix, family: kind === 4 ? 'ipv4' : 'ipv6' };
}

/** A comma-separated list of networks, as in an environment variable; empty for unset. */
export function parseNetworkList(value: string | undefined, name: string): string[] {
  const list = (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of list) parseNetwork(n, name);
  return list;
}
