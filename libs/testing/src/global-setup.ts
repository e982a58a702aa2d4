import { existsSync } from 'node:fs';
import { DEFAULT_DATABASE_URL, DEFAULT_NATS_URL } from '../../db/src/config';

/**
 * Where the tests find Postgres and NATS: containers started by Testcontainers when a Docker
 * engine answers, otherwise the services named by DATABASE_URL / NATS_URL (loopback by default).
 * Each test file then makes its own database and subject prefix on them (see test-env.ts).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.IM_TEST_NO_CONTAINERS !== '1' && dockerMayAnswer()) {
    try {
      await startContainers();
      return;
    } catch (e) {
      console.warn(`[tests] Docker did not answer (${(e as Error).message}); using DATABASE_URL / NATS_URL`);
    }
  }
  process.env.DATABASE_URL ||= DEFAULT_DATABASE_URL;
  process.env.NATS_URL ||= DEFAULT_NATS_URL;
}

function dockerMayAnswer(): boolean {
  return Boolean(process.env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

async function startContainers(): Promise<void> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const pg = await new PostgreSqlContainer('postgres:15-alpine').start();
  const nats = await new GenericContainer('nats:2.10-alpine')
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  process.env.DATABASE_URL = pg.getConnectionUri();
  process.env.NATS_URL = `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`;
  (globalThis as Record<string, unknown>).__IM_CONTAINERS__ = [pg, nats];
}
