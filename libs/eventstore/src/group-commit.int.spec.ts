import { createDb } from '@im/db';
import { createTestEnv, TestEnv } from '@im/testing';
import { Kysely, sql } from 'kysely';
import { GroupCommit } from './group-commit';

/** Group commit against real Postgres: shared transactions, and a bad command failing alone. */
describe('GroupCommit', () => {
  let env: TestEnv;
  let db: Kysely<any>;

  beforeAll(async () => {
    env = await createTestEnv();
    db = createDb({ url: env.databaseUrl, schema: 'public' });
    await sql`CREATE TABLE items (id int PRIMARY KEY CHECK (id > 0), txid xid8 NOT NULL DEFAULT pg_current_xact_id())`.execute(db);
  });

  afterAll(async () => {
    await db?.destroy();
    await env?.dispose();
  });

  const committer = (batches: number[][]) =>
    new GroupCommit<number, number>({
      db,
      write: async (trx, ids) => {
        batches.push(ids);
        await trx.insertInto('items').values(ids.map((id) => ({ id }))).execute();
        return ids.map((id) => id * 10);
      },
      alone: async (id) => {
        batches.push([id]);
        await db.insertInto('items').values({ id }).execute();
        return id * 10;
      },
    });

  it('writes commands that arrive together in one transaction, each answered with its own result', async () => {
    const batches: number[][] = [];
    const c = committer(batches);
    const results = await Promise.all([1, 2, 3, 4, 5].map((id) => c.submit(id)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    // The first goes at once, alone; the four that arrived while it was written share the next.
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    const { rows } = await sql<{ n: number }>`SELECT count(DISTINCT txid)::int AS n FROM items WHERE id BETWEEN 2 AND 5`.execute(db);
    expect(rows[0].n).toBe(1);
  });

  it('fails a bad command alone: the others of its batch commit', async () => {
    const batches: number[][] = [];
    const c = committer(batches);
    const settled = await Promise.allSettled([11, 12, -1, 13].map((id) => c.submit(id)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const { rows } = await sql<{ id: number }>`SELECT id FROM items WHERE id BETWEEN 11 AND 13 ORDER BY id`.execute(db);
    expect(rows.map((r) => r.id)).toEqual([11, 12, 13]);
  });
});
