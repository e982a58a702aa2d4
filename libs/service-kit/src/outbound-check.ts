import { Errors } from '@im/contracts';
import { OutboundClient, OutboundError } from '@im/outbound';

/**
 * A URL a caller asks a service to POST to (a webhook device, an app-server callback), checked
 * before anything is stored: its form, and every address its host resolves to now, against the
 * service's outbound address policy. A refusal is a 422 naming the field and the url.
 */
export async function assertOutboundUrl(outbound: OutboundClient, path: string, url: string): Promise<void> {
  try {
    await outbound.check(url);
  } catch (e) {
    if (!(e instanceof OutboundError)) throw e;
    if (e.kind === 'refused') throw Errors.outboundRefused(path, url, e.refusal?.address ?? null, e.refusal?.reason ?? 'refused');
    if (e.kind === 'unresolved') throw Errors.outboundUnresolved(path, url);
    // A resolver that failed for another reason (timeout, no network) may work on a retry.
    throw Errors.unavailable(`cannot check ${url} now: ${e.message}`);
  }
}
