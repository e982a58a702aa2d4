import { AppError, Errors, RegisterDeviceBody } from '@im/contracts';
import { OutboundClient, OutboundError } from '@im/outbound';

/**
 * The URL a device asks the service to POST to, checked before anything is stored: its form,
 * and every address its host resolves to now, against the outbound address policy. Sending
 * checks again at connect time, since DNS may answer differently later.
 */
export async function assertReachable(outbound: OutboundClient, body: RegisterDeviceBody, pattern: RegExp | null): Promise<void> {
  const [path, url] = body.platform === 'webhook' ? ['url', body.url] : ['subscription.endpoint', body.subscription.endpoint];
  if (body.platform === 'webhook' && pattern && !pattern.test(url)) {
    throw new AppError('WEBHOOK_URL_NOT_ALLOWED', 'this webhook URL is not allowed by the server configuration', [{ path: 'url', message: 'not allowed' }]);
  }
  try {
    await outbound.check(url);
  } catch (e) {
    throw asAppError(e, path, url);
  }
}

function asAppError(e: unknown, path: string, url: string): unknown {
  if (!(e instanceof OutboundError)) return e;
  if (e.kind === 'refused') return Errors.outboundRefused(path, url, e.refusal?.address ?? null, e.refusal?.reason ?? 'refused');
  if (e.kind === 'unresolved') return Errors.outboundUnresolved(path, url);
  // A resolver that failed for another reason (timeout, no network) may work on a retry.
  return Errors.unavailable(`cannot check ${url} now: ${e.message}`);
}
