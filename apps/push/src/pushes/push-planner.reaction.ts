import { BUILT_IN_MESSAGE_TYPES, EventData } from '@im/contracts';
import { defineProjection, Projection, runsOf, TypedEvent } from '@im/eventstore';
import { PresenceBoard } from '@im/realtime';
import { Insertable, Kysely } from 'kysely';
import { targetFor } from '../view/conversation-members';
import { DeviceDirectory } from '../devices/device-directory';
import { customPushContent, DeviceRow, devicesOf, namesOf, pushable } from './planner-lookups';
import { planRecall, planStreamChunk } from './push-followups';
import { candidates, defaultText, isMentioned, mayPush, passesMute, pushBody, pushTitle, streamDueAt } from './push.rules';
import type { DB, PushJobsTable } from '../db.generated';

type Sent = EventData<'message.sent'>;

export interface PlannerDeps {
  presence: PresenceBoard;
  /** Who has a device: a message none of whose recipients has one costs no statement. */
  devices: DeviceDirectory;
  now: () => number;
  /** Messages older than this when planned are not pushed (a late replay is not news). */
  maxAgeMs: number;
  /** An unfinished stream is pushed at the latest this long after its first chunk. */
  streamDelayMs: number;
  /** Tells the push worker jobs were planned, due in this many ms (it polls slowly while idle). */
  wake: (delayMs: number) => void;
}

const INSERT_CHUNK = 1000;

const HANDLES = ['message.sent', 'message.recalled', 'message.stream.appended'] as const;
type Planned = (typeof HANDLES)[number];

/**
 * Applied after the push view, in the same transaction (push.module.ts composes them), so the
 * members and devices it reads are those of the event's place in the stream or later.
 *
 * Turns messaging's events into push jobs (the outbox the worker drains): one row per message
 * per device, decided when the message arrives, since "no live stream" means at that moment.
 * The unique key on (message, kind, user, device) makes a redelivered event plan nothing twice.
 */
export function pushPlannerReaction(deps: PlannerDeps): Projection<Planned> {
  /** Plans one event; the push view has reached the event's place. */
  const plan = async (trx: Kysely<any>, event: TypedEvent<Planned>): Promise<void> => {
    switch (event.type) {
      case 'message.sent':
        return planMessages(trx, [event.data], deps);
      case 'message.recalled':
        return planRecall(trx, event.data, deps);
      case 'message.stream.appended':
        await planStreamChunk(trx, event.data, deps.now());
        if (event.data.complete) deps.wake(0);
        return;
      default: {
        const _exhaustive: never = event;
        return _exhaustive;
      }
    }
  };
  return defineProjection({
    name: 'push_planner',
    sources: ['messaging'],
    tables: [],
    handles: HANDLES,
    apply: plan,
    applyBatch: runsOf('message.sent', (trx, run) => planMessages(trx, run, deps), plan),
  });
}

/**
 * Plans a run of messages with no statement when none of their recipients has a device and no
 * live stream (the common case: the directory and the presence board say so), else with one
 * query for the devices of the run. Only messages that found devices cost more: texts and names.
 */
async function planMessages(trx: Kysely<DB>, sent: Sent[], deps: PlannerDeps): Promise<void> {
  await deps.devices.ready();
  const queries = sent
    .filter((m) => mayPush(m) && deps.now() - m.sentTime <= deps.maxAgeMs)
    .map((m) => ({ m, users: pushable(m, deps.devices, deps.presence) }))
    .filter((q) => q.users.length > 0);
  if (queries.length === 0) return;
  const ms = queries.map((q) => q.m);
  const devices = await devicesOf(trx, queries.map((q) => ({ conversation: q.m, users: q.users })));
  for (const m of ms) {
    const rows = (devices.get(m.conversationId) ?? []).filter((d) => candidates(m, [d.user_id]).length > 0);
    if (rows.length > 0) await planMessage(trx, m, rows, deps);
  }
}

async function planMessage(trx: Kysely<DB>, m: Sent, rows: DeviceRow[], deps: PlannerDeps): Promise<void> {
  const typeText = defaultText(m, BUILT_IN_MESSAGE_TYPES.has(m.objectName) ? null : await customPushContent(trx, m.objectName));
  const names = await namesOf(trx, m);
  const now = deps.now();
  const streamDue = streamDueAt(m, deps.streamDelayMs);
  const base = { title: pushTitle(m, names), now, dueAt: streamDue ?? now };
  const jobs = rows.flatMap((d) => {
    const mentioned = isMentioned(m, d.user_id);
    const text = pushBody(m, typeText, mentioned, names.sender);
    if (!text || !passesMute(d.muted ?? false, mentioned) || deps.presence.isOnline(d.user_id)) return [];
    return [jobRow(m, d, { ...base, body: text.body, followsStream: streamDue !== null && text.isDefault })];
  });
  for (let i = 0; i < jobs.length; i += INSERT_CHUNK) {
    await trx.insertInto('push_jobs').values(jobs.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.constraint('push_jobs_once').doNothing()).execute();
  }
  if (jobs.length > 0) deps.wake(base.dueAt - now);
}

interface JobText {
  title: string | null;
  body: string;
  now: number;
  dueAt: number;
  followsStream: boolean;
}

function jobRow(m: Sent, d: DeviceRow, p: JobText): Insertable<PushJobsTable> {
  return {
    message_uid: m.messageUId,
    kind: 'message',
    user_id: d.user_id,
    device_id: d.device_id,
    platform: d.platform,
    conversation_id: m.conversationId,
    conversation_type: m.conversationType,
    target_id: targetFor(m, d.user_id),
    sender_id: m.senderId,
    object_name: m.objectName,
    seq: m.seq,
    sent_time: m.sentTime,
    title: p.title,
    body: p.body,
    push_data: m.pushData ?? null,
    follows_stream: p.followsStream,
    status: 'pending',
    due_at: p.dueAt,
    created_at: p.now,
  };
}
