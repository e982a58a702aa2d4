import { createTestEnv, TestEnv } from '@im/testing';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { expansionsDefinition } from '../apps/expansions/src/expansions.module';
import { messagingDefinition } from '../apps/messaging/src/messaging.module';
import { pushDefinition } from '../apps/push/src/push.module';
import { receiptsDefinition } from '../apps/receipts/src/receipts.module';

const root = join(__dirname, '..');

/** `npm run migrate` as an operator runs it: the script in its own process, against DATABASE_URL. */
function migrate(databaseUrl: string, args = ['-r', './tools/register.js', 'tools/migrate.ts']) {
  return spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('npm run migrate', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await createTestEnv();
  });

  afterAll(async () => {
    await env?.dispose();
  });

  it("runs every service's migrations in its schema, and again changes nothing", async () => {
    const first = migrate(env.databaseUrl);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const lines = first.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.service)).toEqual(['messaging', 'expansions', 'receipts', 'push']);

    const client = new Client({ connectionString: env.databaseUrl });
    await client.connect();
    try {
      for (const def of [messagingDefinition, expansionsDefinition, receiptsDefinition, pushDefinition]) {
        const { rows } = await client.query(`SELECT name FROM ${def.service}.kysely_migration ORDER BY name`);
        // The event store's three, then the service's own.
        expect(rows.map((r) => r.name)).toEqual(['0000_event_store', '0001_parked_events', '0002_commit_order', ...Object.keys(def.migrations).sort()]);
        const events = await client.query(`SELECT to_regclass('${def.service}.events') AS t`);
        expect(events.rows[0].t).not.toBeNull();
      }
      const again = migrate(env.databaseUrl);
      expect(again.status).toBe(0);
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM messaging.kysely_migration`);
      expect(rows[0].n).toBe(3 + Object.keys(messagingDefinition.migrations).length);
    } finally {
      await client.end();
    }
  });

  it('runs the same from the compiled build the image ships (tools/build.js, plain node)', async () => {
    const out = `dist/.check-${randomBytes(4).toString('hex')}`;
    try {
      const build = spawnSync(process.execPath, ['tools/build.js', out], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      expect(build.status).toBe(0);
      const other = await createTestEnv();
      try {
        const run = migrate(other.databaseUrl, [`${out}/tools/migrate.js`]);
        expect(run.stderr).toBe('');
        expect(run.status).toBe(0);
        expect(run.stdout.trim().split('\n')).toHaveLength(4);
      } finally {
        await other.dispose();
      }
    } finally {
      rmSync(join(root, out), { recursive: true, force: true });
    }
  });

  it('fails with a JSON error line when the database cannot be reached', () => {
    const url = new URL(env.databaseUrl);
    url.port = '1';
    const run = migrate(url.toString());
    expect(run.status).toBe(1);
    const line = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', context: 'migrate', msg: 'migration failed' });
  });
});
