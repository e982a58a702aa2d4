import { Migration } from 'kysely';
import { commitOrderMigration } from './commit-order';
import { eventStoreMigration, parkedEventsMigration } from './schema';

/** The event store's migrations for one service schema, in order: what every service runs first. */
export function eventStoreMigrations(schema: string, notifyChannel: string): Record<string, Migration> {
  return {
    '0000_event_store': eventStoreMigration(notifyChannel),
    '0001_parked_events': parkedEventsMigration(),
    '0002_commit_order': commitOrderMigration(schema),
  };
}
