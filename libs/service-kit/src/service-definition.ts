import { ServiceName } from '@im/contracts';
import { CommonConfig } from '@im/db';
import { Projection } from '@im/eventstore';
import { Migration } from 'kysely';
import { Clock } from './tokens';

export interface ServiceDefinition {
  service: ServiceName;
  /** The service's own migrations; the event store's tables come first, added by the kit. */
  migrations: Record<string, Migration>;
  projections: Projection[];
}

/** What a test or `main.ts` passes in: the shared config plus optional overrides. */
export interface ServiceOptions {
  config?: Partial<CommonConfig>;
  clock?: Clock;
  /** Background work (relay, consumers) can be left off, e.g. by a rebuild tool. */
  background?: boolean;
}
