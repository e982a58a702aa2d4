/**
 * Process configuration, read once from the environment. Defaults are the development
 * services on loopback, so `npm run stack` works on a fresh machine with nothing set.
 */
export interface CommonConfig {
  databaseUrl: string;
  natsUrl: string;
  subjectPrefix: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export function commonConfig(env: NodeJS.ProcessEnv = process.env): CommonConfig {
  return {
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    natsUrl: env.NATS_URL || DEFAULT_NATS_URL,
    subjectPrefix: env.SUBJECT_PREFIX || 'im',
  };
}
