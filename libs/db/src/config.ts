/**
 * Where a process finds Postgres and NATS. Read and validated from the environment by
 * `commonSpec` in libs/service-kit; the defaults are the development services on loopback.
 */
export interface CommonConfig {
  databaseUrl: string;
  natsUrl: string;
  subjectPrefix: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
