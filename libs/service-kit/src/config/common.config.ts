import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@im/db';
import { natsAuthOf, NatsAuth } from '@im/eventstore';
import { defineConfig, envVar, EnvTypes, optionalEnvVar } from './env-var';
import { ConfigError } from './read-config';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What every app reads: where Postgres and NATS are, the subject prefix, logging. Defaults are
 * the development services on loopback, so `npm run stack` works with nothing set.
 */
export const commonSpec = defineConfig({
  databaseUrl: envVar('DATABASE_URL', EnvTypes.url(['postgres:', 'postgresql:']), DEFAULT_DATABASE_URL),
  natsUrl: envVar('NATS_URL', EnvTypes.urls(['nats:', 'tls:']), DEFAULT_NATS_URL),
  subjectPrefix: envVar('SUBJECT_PREFIX', EnvTypes.text().regex(/^[A-Za-z0-9_-]+$/, 'must be letters, digits, _ or -'), 'im'),
  logLevel: envVar('LOG_LEVEL', EnvTypes.oneOf(LOG_LEVELS), 'info' as LogLevel),
  // NATS credentials, one kind at most (deploy/nats/nats.conf defines a user per app); none: anonymous.
  natsUser: optionalEnvVar('NATS_USER', EnvTypes.text()),
  natsPassword: optionalEnvVar('NATS_PASSWORD', EnvTypes.text()),
  natsToken: optionalEnvVar('NATS_TOKEN', EnvTypes.text()),
  natsCreds: optionalEnvVar('NATS_CREDS', EnvTypes.text()),
  natsInboxPrefix: optionalEnvVar('NATS_INBOX_PREFIX', EnvTypes.text().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be subject tokens without wildcards')),
  /** JSON lines, or `pretty` for a developer's terminal (pino-pretty, a dev dependency). */
  logFormat: envVar('LOG_FORMAT', EnvTypes.oneOf(['json', 'pretty']), 'json' as 'json' | 'pretty'),
  /** Where spans go (OTLP over HTTP); unset, none are recorded. The exporter reads its other OTEL_* variables itself. */
  otlpEndpoint: optionalEnvVar('OTEL_EXPORTER_OTLP_ENDPOINT', EnvTypes.url(['http:', 'https:'])),
});

/** What only the four NATS services read: their metrics and health listener. */
export const serviceOpsSpec = defineConfig({
  /** `/metrics`, `/health/live`, `/health/ready`; 0 is off. */
  metricsPort: envVar('METRICS_PORT', EnvTypes.port(), 0),
  /** A consumer further behind than this makes `/health/ready` answer 503. */
  readyMaxLagSeconds: envVar('READY_MAX_LAG_SECONDS', EnvTypes.positive(), 30),
});

type CommonValues = { natsUser?: string; natsPassword?: string; natsToken?: string; natsCreds?: string; natsInboxPrefix?: string };

/** The NATS credentials a config names; refused (like any bad value) when they do not fit together. */
export function natsAuthFromConfig(c: CommonValues): NatsAuth | undefined {
  try {
    return natsAuthOf({ user: c.natsUser, pass: c.natsPassword, token: c.natsToken, credsFile: c.natsCreds, inboxPrefix: c.natsInboxPrefix });
  } catch (e) {
    throw new ConfigError([(e as Error).message]);
  }
}
