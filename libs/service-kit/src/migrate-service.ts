import { migrateToLatest } from '@im/db';
import { eventStoreMigrations } from '@im/eventstore';
import { Kysely } from 'kysely';
import { ServiceDefinition } from './service-definition';

/** The channel a service's appends notify its relay on. */
export function notifyChannel(schema: string): string {
  return `${schema}_events`;
}

/**
 * A service's migrations in its own schema: the event store's tables first, then its own. Every
 * service runs this on start (ServiceRuntime); `npm run migrate` runs it for all of them ahead
 * of a deploy. Kysely's migration lock makes concurrent runs safe.
 */
export async function migrateService(db: Kysely<any>, def: ServiceDefinition): Promise<void> {
  await migrateToLatest(db, def.service, { ...eventStoreMigrations(def.service, notifyChannel(def.service)), ...def.migrations });
}
