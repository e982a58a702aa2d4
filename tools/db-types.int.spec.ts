import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { createTestEnv, TestEnv } from '@im/testing';
import { Migration, sql } from 'kysely';
import { checkedValues, generatedPath, generateAll, render, SERVICE_MIGRATIONS } from './db-types';

/** Where the committed file and the one the migrations give part, or null when they agree. */
function drift(service: string, migrated: string): string | null {
  const path = generatedPath(service);
  const committed = readFileSync(path, 'utf8');
  if (committed === migrated) return null;
  const a = committed.split('\n');
  const b = migrated.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  const at = line === -1 ? a.length : line;
  return (
    `${relative(process.cwd(), path)} differs from the migrations at line ${at + 1} ` +
    `(committed: ${JSON.stringify(a[at] ?? '<end>')}, migrated: ${JSON.stringify(b[at] ?? '<end>')}): run \`npm run db:types\``
  );
}

describe('generated DB types', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it('match the migrations of every service (a migration without `npm run db:types` fails here)', async () => {
    const files = await generateAll(env.databaseUrl);
    expect([...files.keys()]).toEqual(['expansions', 'messaging', 'push', 'receipts']);
    const stale = [...files].map(([service, text]) => drift(service, text)).filter((d) => d !== null);
    expect(stale).toEqual([]);
  });

  it('see a column a new migration adds, so the check above cannot pass on a stale file', async () => {
    const addColumn: Migration = {
      async up(db) {
        await sql`ALTER TABLE user_settings ADD COLUMN theme text`.execute(db);
      },
    };
    // The same database: receipts is migrated already and takes only the new migration.
    const files = await generateAll(env.databaseUrl, { receipts: { ...SERVICE_MIGRATIONS.receipts, '29990101000000_theme': addColumn } });
    const text = files.get('receipts')!;
    expect(text).toContain('export interface UserSettingsTable {\n  read_receipts: boolean;\n  theme: string | null;\n');
    expect(drift('receipts', text)).toMatch(/receipts\/src\/db\.generated\.ts differs from the migrations at line \d+ .*theme: string \| null.*npm run db:types/);
  });

  it('types a text column held to a list by CHECK (col IN (...)) as the union of its values, and leaves other checks alone', () => {
    const checked = checkedValues([
      { table_name: 'red_packets', def: "CHECK ((status = ANY (ARRAY['unclaimed'::text, 'it''s'::text])))" },
      { table_name: 'red_packets', def: 'CHECK ((count > 0))' },
    ]);
    expect([...checked]).toEqual([['red_packets.status', "'unclaimed' | 'it\\'s'"]]);
    const column = { table_name: 'red_packets', column_name: 'status', udt_name: 'text', is_nullable: 'YES', column_default: null, is_identity: 'NO', identity_generation: null, is_generated: 'NEVER' } as const;
    expect(render('x', [column], checked)).toContain("  status: 'unclaimed' | 'it\\'s' | null;\n");
  });

  it('refuses a Postgres type it has no mapping for, naming the column', () => {
    const column = { table_name: 't', column_name: 'c', udt_name: 'tsvector', is_nullable: 'NO', column_default: null, is_identity: 'NO', identity_generation: null, is_generated: 'NEVER' } as const;
    expect(() => render('x', [column])).toThrow('t.c: no TypeScript type for Postgres type tsvector');
  });
});
