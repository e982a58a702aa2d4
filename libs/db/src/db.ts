import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';

// int8 columns (counters, positions, epoch milliseconds) fit in a JS number here; xid8 stays a string.
types.setTypeParser(20, (v) => Number(v));

export interface DbOptions {
  url: string;
  /** The service's own schema: every unqualified table name resolves in it. */
  schema: string;
  poolSize?: number;
}

export function createPool({ url, schema, poolSize = 20 }: DbOptions): Pool {
  const pool = new Pool({ connectionString: url, max: poolSize, options: `-c search_path=${schema}` });
  // An idle connection dropped by the server (a restart) is discarded by the pool; without a
  // listener its error would crash the process.
  pool.on('error', (e) => console.warn(`[db ${schema}] idle connection lost: ${e.message}`));
  return pool;
}

export function createDb<DB>(options: DbOptions): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(options) }) });
}

/** Postgres error codes the code reacts to. */
export const PgCode = { UNIQUE_VIOLATION: '23505', SERIALIZATION_FAILURE: '40001', DEADLOCK: '40P01' } as const;

export function pgCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export function pgConstraint(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'constraint' in e ? String((e as { constraint: unknown }).constraint) : undefined;
}
