import { EventData, EventEnvelope, EventType, ServiceName } from '@im/contracts';
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
  /**
   * Optional: applies consecutive events of one stream at once, set-based (a few statements for
   * a batch instead of a round trip per event). It must end exactly as `apply` on each event in
   * order would. When it throws, the consumer applies the same events one by one instead, so a
   * failing event is found and handled on its own.
   */
  applyBatch?(trx: Kysely<any>, events: AppliedEvent[]): Promise<void>;
}

/** Where the event sits in the stream being consumed (a reaction may wait for another projection to reach it). */
export interface ApplyMeta {
  stream: string;
  streamSequence: number;
}

export interface AppliedEvent {
  event: EventEnvelope;
  meta: ApplyMeta;
}

/**
 * An `applyBatch` for projections whose batch work is one event type: consecutive events of
 * `type` go to `onRun` together (with the meta of the run's last event), any other event to
 * `apply` alone, in stream order.
 */
export function runsOf<T extends EventType>(
  type: T,
  onRun: (trx: Kysely<any>, run: EventData<T>[], last: ApplyMeta) => Promise<void>,
  apply: Projection['apply'],
): NonNullable<Projection['applyBatch']> {
  return async (trx, events) => {
    let run: AppliedEvent[] = [];
    const flush = async () => {
      if (run.length > 0) await onRun(trx, run.map((e) => e.event.data as EventData<T>), run[run.length - 1].meta);
      run = [];
    };
    for (const e of events) {
      if (e.event.type === type) {
        run.push(e);
        continue;
      }
      await flush();
      await apply(trx, e.event, e.meta);
    }
    await flush();
  };
}

/**
 * Several projections fed by one consumer per source stream: each batch is applied by every
 * part in turn, in one transaction with one checkpoint (the composition's name). A message
 * then costs one delivery, one decode and one commit per stream instead of one per part, and a
 * part that reads what an earlier one writes (a reaction reading a view) sees it applied up to
 * the batch's end, in the same transaction: no waiting for another consumer to catch up.
 *
 * Each part must ignore the event types it does not handle (it is offered all of the stream's).
 * A part's failure fails the batch for all of them, and a parked event is parked for all.
 */
export function composeProjections(name: string, parts: Projection[]): Projection {
  const sources = [...new Set(parts.flatMap((p) => p.sources))];
  const tables = [...new Set(parts.flatMap((p) => p.tables))];
  return {
    name,
    sources,
    tables,
    async apply(trx, event, meta) {
      for (const part of parts) await part.apply(trx, event, meta);
    },
    async applyBatch(trx, events) {
      for (const part of parts) {
        if (part.applyBatch) await part.applyBatch(trx, events);
        else for (const e of events) await part.apply(trx, e.event, e.meta);
      }
    },
  };
}
