import { createTestEnv, TestEnv } from '@im/testing';
import { sql } from 'kysely';
import { createDb } from './db';
import { preparedName } from './prepared';

/** Marked statements are named prepared statements of each connection; the rest are not. */
describe('prepared statements', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('names a marked text by its label and a hash of the text, and nothing else', () => {
    const a = preparedName('/* prepared:send_batch */ SELECT $1::int');
    expect(a).toMatch(/^send_batch_[0-9a-f]{12}$/);
    expect(preparedName('/* prepared:send_batch */ SELECT $1::int + 1')).not.toBe(a);
    expect(preparedName('SELECT $1::int')).toBeNull();
    expect(preparedName('SELECT 1 /* prepared:late */')).toBeNull();
  });

  it('prepares a marked statement once per connection, answers it like any other, and leaves the rest unprepared', async () => {
    const db = createDb({ url: env.databaseUrl, schema: 'any_service', poolSize: 1 });
    try {
      const marked = (n: number) => sql<{ twice: number }>`/* prepared:twice */ SELECT ${n}::int * 2 AS twice`.execute(db);
      expect((await marked(2)).rows).toEqual([{ twice: 4 }]);
      expect((await marked(5)).rows).toEqual([{ twice: 10 }]);
      await sql`SELECT ${1}::int AS plain`.execute(db);
      const { rows } = await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(db);
      expect(rows).toEqual([{ name: preparedName('/* prepared:twice */ SELECT $1::int * 2 AS twice'), statement: '/* prepared:twice */ SELECT $1::int * 2 AS twice' }]);
    } finally {
      await db.destroy();
    }
  });

  it('fails a marked statement with Postgres’ own error and keeps the connection usable', async () => {
    const db = createDb({ url: env.databaseUrl, schema: 'any_service', poolSize: 1 });
    try {
      await expect(sql`/* prepared:missing */ SELECT * FROM no_such_table WHERE id = ${1}`.execute(db)).rejects.toMatchObject({ code: '42P01' });
      expect((await sql<{ one: number }>`/* prepared:one */ SELECT ${1}::int AS one`.execute(db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await db.destroy();
    }
  });
});
