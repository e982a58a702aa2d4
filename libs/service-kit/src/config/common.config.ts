import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '@im/db';
import { defineConfig, envVar, EnvTypes } from './env-var';

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
});

/** Nest's logger levels for a LOG_LEVEL. */
export function nestLogLevels(level: LogLevel): false | Array<'error' | 'warn' | 'log' | 'debug' | 'verbose'> {
  switch (level) {
    case 'silent':
      return false;
    case 'error':
      return ['error'];
    case 'warn':
      return ['warn', 'error'];
    case 'info':
      return ['log', 'warn', 'error'];
    case 'debug':
      return ['log', 'warn', 'error', 'debug', 'verbose'];
  }
}
