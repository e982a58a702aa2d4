import { EventEnvelope, SERVICES } from '@im/contracts';
import { allEventsExcept, AppliedEvent, Projection } from '@im/eventstore';
import { Insertable, Kysely } from 'kysely';
import type { CallbackJobsTable, DB } from '../db.generated';
import { PostSendConfig } from './post-send-config';

/** Rows per insert statement (a batch of a busy stream can be large). */
const INSERT_CHUNK = 500;

/**
 * Plans post-send deliveries: each event of a type the callback names, published after it was
 * configured, becomes one job of the callback outbox (post-send.worker.ts delivers them). The
 * configuration is in memory (post-send-config.ts; the planner applies its changes as it meets
 * them in push's stream), so a batch costs no statement unless it has events to deliver, then
 * one insert, whatever the conversation's size: nothing per member.
 *
 * It reads every service's stream (any event type may be named, ultragroup.expansion.changed
 * included once it exists). Its table is not emptied by a rebuild: a replay meets the unique
 * event id and plans nothing twice, and events before the configuration are never planned.
 */
export function postSendPlanner(config: PostSendConfig, now: () => number, wake: () => void): Projection {
  return {
    name: 'post_send_planner',
    sources: [...SERVICES],
    tables: [],
    // Every type: which ones a callback wants is configuration (in memory).
    handles: allEventsExcept([]),
    async apply(trx, event, meta) {
      await plan(trx, [{ event, meta }], config, now(), wake);
    },
    applyBatch: (trx, events) => plan(trx, events, config, now(), wake),
  };
}

async function plan(trx: Kysely<DB>, events: AppliedEvent[], config: PostSendConfig, now: number, wake: () => void): Promise<void> {
  await config.ready();
  for (const { event: e } of events) {
    // Another replica's change (this replica's own is known since its commit). The batch is
    // planned with the configuration as of its end; each event is still held to "since".
    if (e.type === 'callback.post-send.configured') config.configured(e.data.events, e.data.configuredAt);
    else if (e.type === 'callback.post-send.removed') config.removed(e.data.removedAt);
  }
  const current = config.current;
  if (!current) return;
  const jobs = events
    .map((e) => e.event)
    .filter((e) => current.events.has(e.type) && Date.parse(e.time) >= current.configuredAt)
    .map((e): Insertable<CallbackJobsTable> => ({
      event_id: e.id,
      event_type: e.type,
      order_key: orderKey(e),
      body: JSON.stringify({ id: e.id, type: e.type, source: e.source, time: e.time, data: e.data }),
      status: 'pending',
      due_at: now,
      created_at: now,
    }));
  for (let i = 0; i < jobs.length; i += INSERT_CHUNK) {
    await trx.insertInto('callback_jobs').values(jobs.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.column('event_id').doNothing()).execute();
  }
  if (jobs.length > 0) wake();
}

/**
 * Deliveries of one key go out one at a time, in planning order: a conversation's events
 * (every message event names its conversationId), else those of the event's own stream.
 */
function orderKey(e: EventEnvelope): string {
  const conversationId = (e.data as { conversationId?: unknown } | null)?.conversationId;
  return typeof conversationId === 'string' ? `c:${conversationId}` : `s:${e.subject}`;
}
