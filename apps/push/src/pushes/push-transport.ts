import { PushPayload, WebPushSubscription } from '@im/contracts';
import { OutboundClient, OutboundError, signedHeaders } from '@im/outbound';
import { generateRequestDetails } from 'web-push';

export interface DeviceTarget {
  platform: 'webhook' | 'webpush';
  url: string | null;
  secret: string | null;
  subscription: WebPushSubscription | null;
}

export interface SendOutcome {
  ok: boolean;
  httpStatus: number | null;
  error: string | null;
  /** Retrying cannot help (the target's address is refused): fail the push now. */
  permanent: boolean;
  /** Not sent: the receiver's origin had every slot and its queue taken. Not an attempt. */
  deferred?: boolean;
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/**
 * Delivers one push through the outbound engine (address policy at connect time, deadline,
 * answer cap, per-origin slots). Webhook: the JSON body, signed over push id, timestamp and body.
 * Web Push: the same JSON encrypted for the subscription (aes128gcm) with a VAPID JWT, built by
 * the `web-push` library. `X-Push-Id` (= `webhook-id`) lets a receiver recognise a retry.
 */
export class PushTransport {
  constructor(
    private readonly vapid: VapidKeys,
    private readonly outbound: OutboundClient,
    private readonly now: () => number = Date.now,
  ) {}

  async send(device: DeviceTarget, payload: PushPayload): Promise<SendOutcome> {
    const body = JSON.stringify(payload);
    try {
      const status = device.platform === 'webhook' ? await this.webhook(device, body, payload.data.pushId) : await this.webPush(device, body);
      if (status >= 200 && status < 300) return { ok: true, httpStatus: status, error: null, permanent: false };
      return { ok: false, httpStatus: status, error: `HTTP ${status}`, permanent: false };
    } catch (e) {
      const kind = e instanceof OutboundError ? e.kind : null;
      return { ok: false, httpStatus: null, error: ((e as Error).message || String(e)).slice(0, 500), permanent: kind === 'refused', deferred: kind === 'busy' };
    }
  }

  close(): void {
    this.outbound.close();
  }

  private async webhook(device: DeviceTarget, body: string, pushId: string): Promise<number> {
    const signed = signedHeaders({ id: pushId, timestamp: Math.floor(this.now() / 1000), body, secret: device.secret! });
    const headers = { 'content-type': 'application/json', 'x-push-id': pushId, ...signed };
    return (await this.outbound.post(device.url!, headers, body)).status;
  }

  private async webPush(device: DeviceTarget, body: string): Promise<number> {
    const req = generateRequestDetails(device.subscription!, body, {
      vapidDetails: this.vapid,
      TTL: 24 * 3600,
      contentEncoding: 'aes128gcm',
    });
    return (await this.outbound.post(req.endpoint, req.headers as Record<string, string | number>, req.body)).status;
  }
}
