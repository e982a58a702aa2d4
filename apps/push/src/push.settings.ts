import { ConfigError, ConfigOf, defineConfig, envVar, EnvTypes, optionalEnvVar, readConfig } from '@im/service-kit';
import { parseNetworkList } from '@im/outbound';
import { Logger } from '@nestjs/common';
import { generateVAPIDKeys } from 'web-push';
import { z } from 'zod';
import { VapidKeys } from './pushes/push-transport';

export const PUSH_SETTINGS = Symbol('PUSH_SETTINGS');
/** The outbound engine (`@im/outbound`) every request to a device goes through. */
export const PUSH_OUTBOUND = Symbol('PUSH_OUTBOUND');

/** Comma-separated CIDRs (`10.0.0.0/8,fd00::/8`), each checked. */
const networks = () =>
  z.string().transform((s, ctx) => {
    try {
      return parseNetworkList(s, 'network');
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `must be comma-separated networks in CIDR notation (${(e as Error).message})` });
      return z.NEVER;
    }
  });

/** Push's variables, one line each (the README table lists them). */
export const pushSpec = defineConfig({
  /** How often an idle worker looks for due pushes. */
  scanMs: envVar('PUSH_SCAN_MS', EnvTypes.positive(), 200),
  /** Backoff base: a failed push is retried after base, 2 base, 4 base, ... */
  retryBaseMs: envVar('PUSH_RETRY_BASE_MS', EnvTypes.positive(), 1000),
  /** Attempts per push before it is recorded as failed. */
  maxAttempts: envVar('PUSH_MAX_ATTEMPTS', EnvTypes.int(1), 5),
  batchSize: envVar('PUSH_BATCH_SIZE', EnvTypes.int(1), 200),
  /** Rounds a worker runs side by side while there is a backlog. */
  lanes: envVar('PUSH_LANES', EnvTypes.int(1), 2),
  /** Pushes in flight per process (all lanes). */
  concurrency: envVar('PUSH_CONCURRENCY', EnvTypes.int(1), 128),
  /** Pushes in flight per receiving origin, so one slow receiver cannot hold the others up. */
  perHostConcurrency: envVar('PUSH_PER_HOST_CONCURRENCY', EnvTypes.int(1), 8),
  /** The whole request, from waiting for a slot to the last byte of the answer (not an idle timeout). */
  timeoutMs: envVar('PUSH_TIMEOUT_MS', EnvTypes.positive(), 10_000),
  /** Bytes of a receiver's answer read; the rest is not. */
  maxResponseBytes: envVar('PUSH_MAX_RESPONSE_BYTES', EnvTypes.int(1), 64 * 1024),
  /** Post-send callback backoff base: a failed delivery is retried after base, 2 base, 4 base, ... */
  callbackRetryBaseMs: envVar('CALLBACK_RETRY_BASE_MS', EnvTypes.positive(), 1000),
  /** Attempts per post-send delivery before it is given up (and its conversation's next one goes). */
  callbackMaxAttempts: envVar('CALLBACK_MAX_ATTEMPTS', EnvTypes.int(1), 10),
  /** Networks outbound requests may reach although private or loopback (self-hosted receivers, tests). */
  allowedNetworks: envVar('PUSH_ALLOWED_NETWORKS', networks(), [] as string[]),
  /** A push in flight longer than this is taken as interrupted (its sender died). */
  leaseMs: envVar('PUSH_LEASE_MS', EnvTypes.positive(), 60_000),
  /** Stored stream deliveries only for users online within this long. */
  recentMs: envVar('STREAM_RECENT_MS', EnvTypes.positive(), 10 * 60_000),
  /** The delivery stream keeps this long: how far back Last-Event-ID can resume (the gateway reads it too). */
  replaySeconds: envVar('STREAM_REPLAY_SECONDS', EnvTypes.positive(), 24 * 3600),
  /** Older messages are not pushed (a replay after a reset is not news). */
  pushMaxAgeMs: envVar('PUSH_MAX_AGE_MS', EnvTypes.positive(), 3600_000),
  /** An RC:StreamMsg not yet complete is pushed (with the text so far) this long after its first chunk. */
  streamPushDelayMs: envVar('PUSH_STREAM_DELAY_MS', EnvTypes.positive(), 3000),
  /** When set, webhook URLs must also match it (on top of the address policy). */
  webhookUrlPattern: envVar('PUSH_WEBHOOK_URL_PATTERN', EnvTypes.regex(), null as RegExp | null),
  /** Unset: a key pair is generated per process (browsers must subscribe again after a restart). */
  vapidPublicKey: optionalEnvVar('WEBPUSH_VAPID_PUBLIC_KEY', EnvTypes.text()),
  vapidPrivateKey: optionalEnvVar('WEBPUSH_VAPID_PRIVATE_KEY', EnvTypes.text()),
  vapidSubject: envVar('WEBPUSH_VAPID_SUBJECT', EnvTypes.url(['mailto:', 'https:']), 'mailto:push@example.invalid'),
});

type PushVariables = ConfigOf<typeof pushSpec>;

export type PushSettings = Omit<PushVariables, 'vapidPublicKey' | 'vapidPrivateKey' | 'vapidSubject'> & {
  /** Older events are not delivered to streams (older than the replay window: a replay after a reset). */
  deliveryMaxAgeMs: number;
  vapid: VapidKeys;
};

export function pushSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<PushSettings> = {}): PushSettings {
  const { vapidPublicKey, vapidPrivateKey, vapidSubject, ...values } = readConfig(pushSpec, env, overrides as Partial<PushVariables>);
  return {
    ...values,
    deliveryMaxAgeMs: values.replaySeconds * 1000,
    vapid: overrides.vapid ?? vapidKeys(vapidPublicKey, vapidPrivateKey, vapidSubject),
    ...overrides,
  };
}

/** VAPID keys from config; generated (and warned about) when unset, which breaks subscriptions on restart. */
function vapidKeys(publicKey: string | undefined, privateKey: string | undefined, subject: string): VapidKeys {
  if (publicKey && privateKey) return { publicKey, privateKey, subject };
  if (publicKey || privateKey) {
    throw new ConfigError(['WEBPUSH_VAPID_PUBLIC_KEY and WEBPUSH_VAPID_PRIVATE_KEY must be set together']);
  }
  new Logger('push').warn('WEBPUSH_VAPID_PUBLIC_KEY / _PRIVATE_KEY unset: generated a key pair for this process; browsers must subscribe again after a restart');
  return { ...generateVAPIDKeys(), subject };
}
