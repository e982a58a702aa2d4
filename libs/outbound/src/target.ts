import { lookup } from 'node:dns/promises';
import { isIP, LookupFunction } from 'node:net';
import { AddressPolicy } from './address-policy';
import { OutboundError } from './outbound-error';

/** A host name to all its addresses, in the order a connect would try them. */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver (getaddrinfo, /etc/hosts included), as a plain connect would use it. */
export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * An http(s) URL without credentials. The WHATWG parser has already normalised the host
 * (`http://2130706433/`, `http://0x7f.1/` and `http://127.1/` are all 127.0.0.1), so what is
 * checked is what would be connected to.
 */
export function parseTarget(url: string): URL {
  const refuse = (reason: 'scheme' | 'credentials' | 'invalid') => OutboundError.refused({ url, address: null, reason });
  if (!URL.canParse(url)) throw refuse('invalid');
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw refuse('scheme');
  if (target.username || target.password) throw refuse('credentials');
  if (!target.hostname) throw refuse('invalid');
  return target;
}

/** The URL's host when it is an IP address (brackets of IPv6 removed), else null. */
export function literalAddress(target: URL): string | null {
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  return isIP(host) ? host : null;
}

/** Every address must pass: a name with one public and one internal address is refused. */
export function assertAddresses(policy: AddressPolicy, url: string, addresses: string[]): void {
  for (const address of addresses) {
    const refusal = policy.refusal(address);
    if (refusal) throw OutboundError.refused({ url, address: refusal.address, reason: refusal.reason });
  }
}

/** Resolves a name; a name that does not exist is `unresolved`, other failures `network`. */
export async function resolveHost(resolve: Resolver, host: string): Promise<string[]> {
  try {
    const addresses = await resolve(host);
    if (addresses.length === 0) throw Object.assign(new Error(`no address for ${host}`), { code: 'ENODATA' });
    return addresses;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw new OutboundError('unresolved', `${host} does not resolve`);
    throw new OutboundError('network', `resolving ${host}: ${(e as Error).message}`);
  }
}

/**
 * The `lookup` a connection uses: it resolves, checks every address, and hands the socket the
 * addresses it checked. The check and the connect read the same answer, so a name that resolves
 * to a public address at registration and to 127.0.0.1 now (DNS rebinding) is refused here.
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolver, url: string): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(resolve, hostname)
      .then((found) => {
        assertAddresses(policy, url, found);
        const wanted = found.map((address) => ({ address, family: isIP(address) })).filter((a) => !options.family || a.family === options.family);
        if (wanted.length === 0) throw new OutboundError('unresolved', `${hostname} has no IPv${options.family} address`);
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      })
      .catch((e: NodeJS.ErrnoException) => callback(e, ''));
  };
}
