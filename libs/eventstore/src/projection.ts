import { EventEnvelope, ServiceName } from '@im/contracts';
import { Kysely } from 'kysely';

/**
 * A read model built by consuming domain events. `apply` runs inside the consumer's
 * transaction, together with the checkpoint, and must only touch the projection's own tables.
 */
export interface Projection {
  /** Unique within the consuming service, e.g. `conversations`. */
  name: string;
  /** The services whose event streams it consumes. */
  sources: ServiceName[];
  /** The tables it owns; a rebuild empties exactly these. */
  tables: string[];
  apply(trx: Kysely<any>, event: EventEnvelope, meta: ApplyMeta): Promise<void>;
}

/** Where the event sits in the stream being consumed (a reaction may wait for another projection to reach it). */
export interface ApplyMeta {
  stream: string;
  streamSequence: number;
}
