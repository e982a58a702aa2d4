import { commonSpec, ConfigOf, defineConfig, envVar, EnvTypes, natsAuthFromConfig, readConfig, readSecrets, Secrets } from '@im/service-kit';
import type { NatsAuth } from '@im/eventstore';
import { Logger } from '@nestjs/common';

/** The gateway's variables, one line each (the README table lists them). */
export const gatewaySpec = defineConfig({
  ...commonSpec,
  port: envVar('PORT', EnvTypes.port(), 3000),
  host: envVar('HOST', EnvTypes.text(), '0.0.0.0'),
  /** SSE comment lines this often keep idle streams open through proxies. */
  heartbeatMs: envVar('STREAM_HEARTBEAT_MS', EnvTypes.positive(), 15_000),
  /** How long an Idempotency-Key's answer is replayed (the NATS bucket's max_age prunes it after). */
  idempotencyTtlSeconds: envVar('IDEMPOTENCY_TTL_SECONDS', EnvTypes.positive(), 24 * 3600),
  /**
   * Token bucket per user token's user (sustained per second, and the burst), and one for the
   * server key. Defaults high enough that no bench is throttled (the CPU bench sends 1,000+
   * messages/s with one user's token; the others drive thousands of calls/s with the server key):
   * a deployment sets its own (README, "Idempotency and rate limits").
   */
  rateLimitUserPerSecond: envVar('RATE_LIMIT_USER_PER_SECOND', EnvTypes.positive(), 5_000),
  rateLimitUserBurst: envVar('RATE_LIMIT_USER_BURST', EnvTypes.positive(), 10_000),
  rateLimitServerPerSecond: envVar('RATE_LIMIT_SERVER_PER_SECOND', EnvTypes.positive(), 50_000),
  rateLimitServerBurst: envVar('RATE_LIMIT_SERVER_BURST', EnvTypes.positive(), 100_000),
  /** Concurrent streams per user on one gateway; past it the oldest is closed with `replaced`. */
  streamMaxPerUser: envVar('STREAM_MAX_PER_USER', EnvTypes.int(1), 10),
  /** A stream whose unsent bytes pass this is a slow reader and is disconnected. */
  streamMaxBufferedBytes: envVar('STREAM_MAX_BUFFERED_BYTES', EnvTypes.int(1024), 1024 * 1024),
  /** A stream whose socket stays full this long is disconnected. */
  streamDrainTimeoutMs: envVar('STREAM_DRAIN_TIMEOUT_MS', EnvTypes.positive(), 10_000),
  /** How far back Last-Event-ID can resume (the delivery stream's max age). */
  streamReplaySeconds: envVar('STREAM_REPLAY_SECONDS', EnvTypes.positive(), 24 * 3600),
  /** A stream ticket (`POST /v1/stream/tickets`) is good for this long, once. */
  streamTicketTtlSeconds: envVar('STREAM_TICKET_TTL_SECONDS', EnvTypes.positive(), 60),
  /** Each presence announcement message stays under this (NATS's max_payload is 1 MB). */
  presenceChunkBytes: envVar('PRESENCE_CHUNK_BYTES', EnvTypes.int(512, 1024 * 1024), 256 * 1024),
  /** Browser origins allowed by CORS (comma-separated; none by default). */
  corsOrigins: envVar('CORS_ORIGINS', EnvTypes.list(), [] as string[]),
});

export type GatewayConfig = ConfigOf<typeof gatewaySpec> &
  Secrets & {
    tokenTtlSeconds: number;
    /** The gateway's NATS credentials (NATS_USER, ... or given by a test); unset, anonymous. */
    natsAuth?: NatsAuth;
  };

/**
 * Read once at start. Development defaults keep `npm run stack` one command; each one used is
 * warned about, and none is accepted with NODE_ENV=production (see `readSecrets`).
 */
export function gatewayConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<GatewayConfig> = {}): GatewayConfig {
  const values = readConfig(gatewaySpec, env, overrides);
  const logger = new Logger('config');
  const secrets = readSecrets(env, overrides, (m) => values.logLevel !== 'silent' && values.logLevel !== 'error' && logger.warn(m));
  const natsAuth = overrides.natsAuth ?? natsAuthFromConfig(values);
  return { tokenTtlSeconds: 30 * 24 * 3600, ...overrides, ...values, ...secrets, natsAuth };
}

