import { Logger } from '@nestjs/common';
import { generateVAPIDKeys } from 'web-push';
import { VapidKeys } from './pushes/push-transport';

export const PUSH_SETTINGS = Symbol('PUSH_SETTINGS');

export interface PushSettings {
  /** How often an idle worker looks for due pushes. */
  scanMs: number;
  /** Backoff base: a failed push is retried after base, 2 base, 4 base, ... */
  retryBaseMs: number;
  /** Attempts per push before it is recorded as failed. */
  maxAttempts: number;
  batchSize: number;
  /** Rounds a worker runs side by side while there is a backlog. */
  lanes: number;
  /** Pushes in flight per worker. */
  concurrency: number;
  timeoutMs: number;
  /** A push in flight longer than this is taken as interrupted (its sender died). */
  leaseMs: number;
  /** Stored stream deliveries only for users online within this long. */
  recentMs: number;
  /** Older messages are not pushed, older events not delivered (a replay after a reset is not news). */
  pushMaxAgeMs: number;
  deliveryMaxAgeMs: number;
  /** When set, webhook URLs must match it (keeps users from aiming the service at internal hosts). */
  webhookUrlPattern: RegExp | null;
  vapid: VapidKeys;
}

const num = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return n;
};

export function pushSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<PushSettings> = {}): PushSettings {
  return {
    scanMs: num(env, 'PUSH_SCAN_MS', 200),
    retryBaseMs: num(env, 'PUSH_RETRY_BASE_MS', 1000),
    maxAttempts: num(env, 'PUSH_MAX_ATTEMPTS', 5),
    batchSize: num(env, 'PUSH_BATCH_SIZE', 200),
    lanes: num(env, 'PUSH_LANES', 2),
    concurrency: num(env, 'PUSH_CONCURRENCY', 64),
    timeoutMs: num(env, 'PUSH_TIMEOUT_MS', 10_000),
    leaseMs: num(env, 'PUSH_LEASE_MS', 60_000),
    recentMs: num(env, 'STREAM_RECENT_MS', 10 * 60_000),
    pushMaxAgeMs: num(env, 'PUSH_MAX_AGE_MS', 3600_000),
    deliveryMaxAgeMs: 24 * 3600_000,
    webhookUrlPattern: env.PUSH_WEBHOOK_URL_PATTERN ? new RegExp(env.PUSH_WEBHOOK_URL_PATTERN) : null,
    vapid: overrides.vapid ?? vapidKeys(env),
    ...overrides,
  };
}

/** VAPID keys from config; generated (and warned about) when unset, which breaks subscriptions on restart. */
function vapidKeys(env: NodeJS.ProcessEnv): VapidKeys {
  const subject = env.WEBPUSH_VAPID_SUBJECT || 'mailto:push@example.invalid';
  if (env.WEBPUSH_VAPID_PUBLIC_KEY && env.WEBPUSH_VAPID_PRIVATE_KEY) {
    return { publicKey: env.WEBPUSH_VAPID_PUBLIC_KEY, privateKey: env.WEBPUSH_VAPID_PRIVATE_KEY, subject };
  }
  new Logger('push').warn('WEBPUSH_VAPID_PUBLIC_KEY / _PRIVATE_KEY unset: generated a key pair for this process; browsers must subscribe again after a restart');
  return { ...generateVAPIDKeys(), subject };
}
