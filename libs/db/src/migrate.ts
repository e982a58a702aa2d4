import { Kysely, Migration, MigrationProvider, Migrator, sql } from 'kysely';

/**
 * Runs a service's migrations (timestamped names, each with up and down) inside its own schema.
 * Kysely's migrator takes a lock, so replicas starting together migrate once.
 */
export async function migrateToLatest(db: Kysely<any>, schema: string, migrations: Record<string, Migration>): Promise<void> {
  await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(schema)}`.execute(db).catch((e) => {
    // Two replicas creating the schema at once: the loser sees a duplicate, which is success.
    if (!['23505', '42P06'].includes(String((e as { code?: string }).code))) throw e;
  });
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error, results } = await withoutSessionLimits(db, (conn) =>
    // Unordered: the event store's own migrations (0000_…, 0001_…) sort before a service's
    // timestamped ones, and a database migrated before a new one of them was added must take it.
    new Migrator({ db: conn, provider, migrationTableSchema: schema, allowUnorderedMigrations: true }).migrateToLatest(),
  );
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration of ${schema} failed at ${failed?.migrationName ?? '?'}: ${String(error)}`);
  }
}

/**
 * Runs `work` on one connection with the pool's timeouts lifted (connection.ts): an index built
 * on a big table may take minutes, and a replica starting alongside another waits on the
 * migration lock for as long as the other migrates. The session's defaults come back after.
 */
async function withoutSessionLimits<T>(db: Kysely<any>, work: (conn: Kysely<any>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`SET statement_timeout = 0`.execute(conn);
    await sql`SET lock_timeout = 0`.execute(conn);
    await sql`SET idle_in_transaction_session_timeout = 0`.execute(conn);
    try {
      return await work(conn);
    } finally {
      await sql`RESET statement_timeout`.execute(conn);
      await sql`RESET lock_timeout`.execute(conn);
      await sql`RESET idle_in_transaction_session_timeout`.execute(conn);
    }
  });
}
