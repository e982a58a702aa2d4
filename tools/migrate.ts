/**
 * `npm run migrate`: every service's migrations against DATABASE_URL (each in its own schema),
 * the same the services run on start: run it ahead of a deploy so the new version's replicas
 * start on a migrated schema, or to migrate without starting anything. Idempotent.
 */
import { createDb } from '@im/db';
import { appLogger } from '@im/observability';
import { commonSpec, migrateService, readConfig, ServiceDefinition } from '@im/service-kit';
import { expansionsDefinition } from '../apps/expansions/src/expansions.module';
import { messagingDefinition } from '../apps/messaging/src/messaging.module';
import { pushDefinition } from '../apps/push/src/push.module';
import { receiptsDefinition } from '../apps/receipts/src/receipts.module';

const DEFINITIONS: ServiceDefinition[] = [messagingDefinition, expansionsDefinition, receiptsDefinition, pushDefinition];

async function main(): Promise<void> {
  const log = appLogger('migrate');
  const { databaseUrl } = readConfig({ databaseUrl: commonSpec.databaseUrl });
  for (const def of DEFINITIONS) {
    const db = createDb({ url: databaseUrl, schema: def.service, poolSize: 2 });
    try {
      await migrateService(db, def);
      log.info({ service: def.service }, 'migrated');
    } finally {
      await db.destroy();
    }
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    appLogger('migrate').error({ err: e }, 'migration failed');
    process.exit(1);
  },
);
