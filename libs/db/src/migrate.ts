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
  const migrator = new Migrator({ db, provider, migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration of ${schema} failed at ${failed?.migrationName ?? '?'}: ${String(error)}`);
  }
}
