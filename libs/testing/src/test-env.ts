import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** One test file's private world: its own database and its own subject/stream prefix. */
export interface TestEnv {
  databaseUrl: string;
  natsUrl: string;
  prefix: string;
  dispose(): Promise<void>;
}

export async function createTestEnv(): Promise<TestEnv> {
  const id = randomBytes(4).toString('hex');
  const baseUrl = process.env.DATABASE_URL!;
  const natsUrl = process.env.NATS_URL!;
  const dbName = `im_test_${id}`;
  await withAdmin(baseUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
  const url = new URL(baseUrl);
  url.pathname = `/${dbName}`;
  const prefix = `t${id}`;
  return {
    databaseUrl: url.toString(),
    natsUrl,
    prefix,
    async dispose() {
      await deleteStreams(natsUrl, prefix);
      await withAdmin(baseUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function deleteStreams(natsUrl: string, prefix: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const mine = `${prefix}_`.toUpperCase();
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(mine)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}
