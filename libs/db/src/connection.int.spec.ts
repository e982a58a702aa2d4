import { createTestEnv, TestEnv } from '@im/testing';
import { Migration, sql } from 'kysely';
import { Client } from 'pg';
import { connectionConfig } from './connection';
import { createDb, isTransientPgError, PgCode, pgCode } from './db';
import { migrateToLatest } from './migrate';

/** Every pool's sessions carry timeouts and keepalives; the timeouts fire as transient errors; migrations lift them. */
describe('database connections', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  const settings = async (db: ReturnType<typeof createDb>) =>
    (
      await sql<{ name: string; setting: string }>`
        SELECT name, setting FROM pg_settings
         WHERE name IN ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout',
                        'tcp_keepalives_idle', 'tcp_keepalives_interval', 'tcp_keepalives_count', 'application_name')`.execute(db)
    ).rows.reduce<Record<string, string>>((all, r) => ({ ...all, [r.name]: r.setting }), {});

  it('gives every session of a pool its timeouts and the server-side keepalive', async () => {
    const db = createDb({ url: env.databaseUrl, schema: 'any_service' });
    try {
      const s = await settings(db);
      expect(s).toMatchObject({ statement_timeout: '60000', lock_timeout: '20000', idle_in_transaction_session_timeout: '60000' });
      expect(s.application_name).toBe('im:any_service');
      // Over TCP (a Unix socket has no keepalive; the tests connect over TCP).
      expect(s).toMatchObject({ tcp_keepalives_idle: '10', tcp_keepalives_interval: '5', tcp_keepalives_count: '3' });
      expect(connectionConfig(env.databaseUrl, 'any_service')).toMatchObject({ keepAlive: true });
    } finally {
      await db.destroy();
    }
  });

  describe('with short limits', () => {
    const db = () => createDb({ url: env.databaseUrl, schema: 'public', limits: { statementTimeoutMs: 300, lockTimeoutMs: 100, idleInTransactionMs: 300 } });

    it('cancels a long statement (57014), a transient error', async () => {
      const d = db();
      try {
        const e = await sql`SELECT pg_sleep(2)`.execute(d).catch((err) => err);
        expect(pgCode(e)).toBe(PgCode.QUERY_CANCELED);
        expect(isTransientPgError(e)).toBe(true);
      } finally {
        await d.destroy();
      }
    });

    it('fails a long lock wait (55P03), a transient error', async () => {
      const holder = new Client({ connectionString: env.databaseUrl });
      await holder.connect();
      const d = db();
      try {
        await holder.query('SELECT pg_advisory_lock(77)');
        const e = await sql`SELECT pg_advisory_xact_lock(77)`.execute(d).catch((err) => err);
        expect(pgCode(e)).toBe(PgCode.LOCK_NOT_AVAILABLE);
        expect(isTransientPgError(e)).toBe(true);
      } finally {
        await holder.end();
        await d.destroy();
      }
    });

    it('ends a transaction left idle, without crashing the process; the pool goes on with a new session', async () => {
      const d = db();
      try {
        const e = await d
          .transaction()
          .execute(async (trx) => {
            await sql`SELECT 1`.execute(trx);
            await new Promise((r) => setTimeout(r, 800));
            await sql`SELECT 1`.execute(trx);
          })
          .catch((err) => err);
        expect(e).toBeInstanceOf(Error);
        expect(isTransientPgError(e)).toBe(true);
        expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(d)).rows).toEqual([{ one: 1 }]);
      } finally {
        await d.destroy();
      }
    });

    it('lifts them for migrations, and puts them back on the session after', async () => {
      const d = createDb({ url: env.databaseUrl, schema: 'slow_migration', poolSize: 1, limits: { statementTimeoutMs: 200, lockTimeoutMs: 200 } });
      const slow: Migration = {
        async up(m) {
          await sql`SELECT pg_sleep(0.5)`.execute(m);
        },
      };
      try {
        await migrateToLatest(d, 'slow_migration', { '0001_slow': slow });
        // The pool's one connection ran the migration; its session has the pool's limits again.
        expect(await settings(d)).toMatchObject({ statement_timeout: '200', lock_timeout: '200' });
      } finally {
        await d.destroy();
      }
    });
  });
});
