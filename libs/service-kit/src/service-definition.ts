import { ServiceName } from '@im/contracts';
import { NatsAuth, Projection } from '@im/eventstore';
import { Migration } from 'kysely';
import { ConfigOf } from './config';
import { commonSpec } from './config/common.config';
import { Clock } from './tokens';

export interface ServiceDefinition {
  service: ServiceName;
  /** The service's own migrations; the event store's tables come first, added by the kit. */
  migrations: Record<string, Migration>;
  projections: Projection[];
}

/** The config every service reads (`commonSpec`). */
export type ServiceConfig = ConfigOf<typeof commonSpec>;

/** What a test or `main.ts` passes in: values that replace the environment's, and more. */
export interface ServiceOptions {
  config?: Partial<ServiceConfig>;
  clock?: Clock;
  /** Background work (relay, consumers) can be left off, e.g. by a rebuild tool. */
  background?: boolean;
  /** The service's NATS credentials; unset, they come from the environment (NATS_USER, ...). */
  natsAuth?: NatsAuth;
  /**
   * The metrics and health listener's port: null is off, 0 a free port (tests); unset, METRICS_PORT
   * (0, its default, is off).
   */
  metricsPort?: number | null;
}
