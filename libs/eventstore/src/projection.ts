import { EventData, EventEnvelope, EVENTS, EventType, ServiceName } from '@im/contracts';
import { Kysely } from 'kysely';

/**
 * A decoded event of one of the types `T`: the envelope with its `type` and `data` narrowed
 * together, so `switch (event.type)` gives each case its payload without a cast.
 */
export type TypedEvent<T extends EventType = EventType> = {
  [K in T]: Omit<EventEnvelope, 'type' | 'data'> & { type: K; data: EventData<K> };
}[T];

/**
 * A read model built by consuming domain events. `apply` runs inside the consumer's
 * transaction, together with the checkpoint, and must only touch the projection's own tables.
 *
 * It is offered only the event types it `handles`: the consumer skips the others (acked and
 * checkpointed like the rest, without calling it), so a switch over `event.type` covers exactly
 * `handles` and ends in `const _exhaustive: never = event`. A type added to `handles` then fails
 * to compile until its case is written.
 */
export interface Projection<T extends EventType = EventType> {
  /** Unique within the consuming service, e.g. `conversations`. */
  name: string;
  /** The services whose event streams it consumes. */
  sources: ServiceName[];
  /** The tables it owns; a rebuild empties exactly these. */
  tables: string[];
  /** The event types it is given; every one is published by one of `sources`. */
  handles: readonly T[];
  apply(trx: Kysely<any>, event: TypedEvent<T>, meta: ApplyMeta): Promise<void>;
  /**
   * Optional: applies consecutive events of one stream at once, set-based (a few statements for
   * a batch instead of a round trip per event). It must end exactly as `apply` on each event in
   * order would. When it throws, the consumer applies the same events one by one instead, so a
   * failing event is found and handled on its own.
   */
  applyBatch?(trx: Kysely<any>, events: AppliedEvent<T>[]): Promise<void>;
  /**
   * Optional: how long, under load, a batch waits for more events (DEFAULT_LINGER_UNDER_LOAD_MS
   * unless set). A copy that users read as it changes (the conversation list, the streams) keeps
   * the default; one that is read only through commands, where the read barrier covers a copy
   * behind, can wait longer: fewer, bigger transactions, for the same work per event.
   */
  lingerUnderLoadMs?: number;
}

/**
 * 15 ms: at 25 ms the conversation list's lag at half the maximum send rate reached 93 ms of
 * its 100 ms target (bench:messages); at 15 ms, 82 ms.
 */
export const DEFAULT_LINGER_UNDER_LOAD_MS = 15;

/**
 * 40 ms, for copies read only through commands: against 15 ms, each such consumer's CPU per
 * message fell from 0.06-0.07 to 0.04-0.05 ms and Postgres' by 0.015-0.05 ms (cpu-per-message, A/B).
 */
export const BACKGROUND_LINGER_UNDER_LOAD_MS = 40;

/** Where the event sits in the stream being consumed (a reaction may wait for another projection to reach it). */
export interface ApplyMeta {
  stream: string;
  streamSequence: number;
}

export interface AppliedEvent<T extends EventType = EventType> {
  event: TypedEvent<T>;
  meta: ApplyMeta;
}

/**
 * A projection whose event types are inferred from `handles` (`['message.sent', ...] as const`
 * is not needed: the literal types are kept). Refuses, when the module loads, a handled type
 * that none of `sources` publishes: the projection would wait for it forever.
 */
export function defineProjection<const T extends EventType>(p: Projection<T>): Projection<T> {
  const stray = p.handles.filter((t) => !p.sources.includes(EVENTS[t].service));
  if (stray.length > 0) throw new Error(`projection ${p.name} handles ${stray.join(', ')} but consumes only ${p.sources.join(', ')}`);
  return p;
}

/**
 * Every event type but `excluded`: for a projection that must consider each event (the stream's
 * fan-out), so that a type added to the contracts reaches its switch and fails to compile there
 * until it is handled or excluded here.
 */
export function allEventsExcept<const X extends EventType>(excluded: readonly X[]): Exclude<EventType, X>[] {
  return (Object.keys(EVENTS) as EventType[]).filter((t): t is Exclude<EventType, X> => !(excluded as readonly EventType[]).includes(t));
}

/** Whether the event is of one of `types` (narrows it, and its payload, to them). */
export function isEventOf<T extends EventType>(types: readonly T[], event: TypedEvent | EventEnvelope): event is TypedEvent<T> {
  return (types as readonly string[]).includes(event.type);
}

/** Whether the projection is offered this event (one of the types it handles). */
export function handlesEvent<T extends EventType>(p: Projection<T>, event: TypedEvent | EventEnvelope): event is TypedEvent<T> {
  return isEventOf(p.handles, event);
}

/**
 * An `applyBatch` for projections whose batch work is one event type: consecutive events of
 * `type` go to `onRun` together (with the meta of the run's last event), any other event to
 * `apply` alone, in stream order.
 */
export function runsOf<R extends T, T extends EventType>(
  type: R,
  onRun: (trx: Kysely<any>, run: EventData<R>[], last: ApplyMeta) => Promise<void>,
  apply: (trx: Kysely<any>, event: TypedEvent<T>, meta: ApplyMeta) => Promise<void>,
): (trx: Kysely<any>, events: AppliedEvent<T>[]) => Promise<void> {
  const isRun = (e: AppliedEvent<T>): e is AppliedEvent<R> => e.event.type === type;
  return async (trx, events) => {
    let run: AppliedEvent<R>[] = [];
    const flush = async () => {
      if (run.length > 0) await onRun(trx, run.map((e) => e.event.data as EventData<R>), run[run.length - 1].meta);
      run = [];
    };
    for (const e of events) {
      if (isRun(e)) {
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
 * The composition handles the union of its parts' types; each part is offered only its own (a
 * batch's events of other types are taken out before it sees the batch). A part's failure
 * fails the batch for all of them, and a parked event is parked for all.
 */
export function composeProjections(name: string, parts: Projection[]): Projection {
  const sources = [...new Set(parts.flatMap((p) => p.sources))];
  const tables = [...new Set(parts.flatMap((p) => p.tables))];
  const handles = [...new Set(parts.flatMap((p) => p.handles))];
  return {
    name,
    sources,
    tables,
    handles,
    // The composition is as patient as its most hurried part.
    lingerUnderLoadMs: Math.min(...parts.map((p) => p.lingerUnderLoadMs ?? DEFAULT_LINGER_UNDER_LOAD_MS)),
    async apply(trx, event, meta) {
      for (const part of parts) if (handlesEvent(part, event)) await part.apply(trx, event, meta);
    },
    async applyBatch(trx, events) {
      for (const part of parts) {
        const own = events.filter((e) => handlesEvent(part, e.event));
        if (own.length === 0) continue;
        if (part.applyBatch) await part.applyBatch(trx, own);
        else for (const e of own) await part.apply(trx, e.event, e.meta);
      }
    },
  };
}
