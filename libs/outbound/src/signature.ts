import { createHmac } from 'node:crypto';

export interface SignInput {
  /** Stable across retries of one delivery, so a receiver can drop a repeat. */
  id: string;
  /** Unix seconds of this attempt, so a receiver can refuse a stale (replayed) one. */
  timestamp: number;
  body: string | Buffer;
  secret: string;
}

/**
 * Standard Webhooks style: one HMAC-SHA256, keyed with the receiver's secret (its UTF-8 bytes),
 * over `${id}.${timestamp}.${body}`, so a captured request cannot be replayed later or under
 * another id. Sent twice: as `X-Signature: sha256=<hex>` with `X-Signature-Id` and
 * `X-Signature-Timestamp`, and as the Standard Webhooks headers (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64>`), which their libraries verify when
 * given the secret in base64.
 */
export function signedHeaders({ id, timestamp, body, secret }: SignInput): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(body).digest();
  return {
    'x-signature': `sha256=${mac.toString('hex')}`,
    'x-signature-id': id,
    'x-signature-timestamp': String(timestamp),
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${mac.toString('base64')}`,
  };
}
