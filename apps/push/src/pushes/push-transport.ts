import { PushPayload, WebPushSubscription } from '@im/contracts';
import { createHmac } from 'node:crypto';
import { generateRequestDetails } from 'web-push';
import { HttpPoster } from './http-post';

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
}

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/** The signature a webhook receiver checks: hex HMAC-SHA256 of the raw body, keyed with the device secret. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Delivers one push over HTTP. Webhook: the JSON body, signed. Web Push: the same JSON encrypted
 * for the subscription (aes128gcm) with a VAPID JWT, built by the `web-push` library and sent
 * over the same kept-alive connections, so both share one timeout and one error path. `X-Push-Id` lets a receiver
 * recognise a retry of a push it already has.
 */
export class PushTransport {
  private readonly poster: HttpPoster;

  constructor(
    private readonly vapid: VapidKeys,
    timeoutMs: number,
    concurrency = 64,
  ) {
    this.poster = new HttpPoster(timeoutMs, concurrency);
  }

  async send(device: DeviceTarget, payload: PushPayload): Promise<SendOutcome> {
    const body = JSON.stringify(payload);
    try {
      const status = device.platform === 'webhook' ? await this.webhook(device, body, payload.data.pushId) : await this.webPush(device, body);
      if (status >= 200 && status < 300) return { ok: true, httpStatus: status, error: null };
      return { ok: false, httpStatus: status, error: `HTTP ${status}` };
    } catch (e) {
      return { ok: false, httpStatus: null, error: ((e as Error).message || String(e)).slice(0, 500) };
    }
  }

  close(): void {
    this.poster.close();
  }

  private webhook(device: DeviceTarget, body: string, pushId: string): Promise<number> {
    return this.poster.post(device.url!, { 'content-type': 'application/json', 'x-signature': signature(body, device.secret!), 'x-push-id': pushId }, body);
  }

  private webPush(device: DeviceTarget, body: string): Promise<number> {
    const req = generateRequestDetails(device.subscription!, body, {
      vapidDetails: this.vapid,
      TTL: 24 * 3600,
      contentEncoding: 'aes128gcm',
    });
    return this.poster.post(req.endpoint, req.headers as Record<string, string | number>, req.body);
  }
}
