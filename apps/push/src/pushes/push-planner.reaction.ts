import { BUILT_IN_MESSAGE_TYPES, ConversationType, EventData } from '@im/contracts';
import { Projection, runsOf } from '@im/eventstore';
import { PresenceBoard } from '@im/realtime';
import { Kysely, sql } from 'kysely';
import { targetFor } from '../view/conversation-members';
import { waitForView } from '../view/wait-for-view';
import { candidates, defaultText, isMentioned, mayPush, passesMute, pushText, pushTitle, RECALL_TEXT, withSender } from './push.rules';

type Sent = EventData<'message.sent'>;
type Recalled = EventData<'message.recalled'>;

export interface PlannerDeps {
  presence: PresenceBoard;
  now: () => number;
  /** Messages older than this when planned are not pushed (a late replay is not news). */
  maxAgeMs: number;
}

const INSERT_CHUNK = 1000;

/**
 * Turns messaging's events into push jobs (the outbox the worker drains): one row per message
 * per device, decided when the message arrives, since "no live stream" means at that moment.
 * The unique key on (message, kind, user, device) makes a redelivered event plan nothing twice.
 */
export function pushPlannerReaction(deps: PlannerDeps): Projection {
  /** Plans one event; the push view has reached the event's place. */
  const plan: Projection['apply'] = async (trx, event) => {
    if (event.type === 'message.sent') await planMessages(trx, [event.data as Sent], deps);
    else if (event.type === 'message.recalled') await planRecall(trx, event.data as Recalled, deps.now());
  };
  const planRuns = runsOf('message.sent', (trx, run) => planMessages(trx, run, deps), plan);
  const matters = (type: string) => type === 'message.sent' || type === 'message.recalled';
  return {
    name: 'push_planner',
    sources: ['messaging'],
    tables: [],
    async apply(trx, event, meta) {
      if (!matters(event.type)) return;
      await waitForView(trx, meta);
      await plan(trx, event, meta);
    },
    /** One wait for the view per batch: reaching the last event's place covers the ones before it. */
    async applyBatch(trx, events) {
      const last = events.filter((e) => matters(e.event.type)).at(-1);
      if (!last) return;
      await waitForView(trx, last.meta);
      await planRuns(trx, events);
    },
  };
}

interface DeviceRow {
  user_id: string;
  device_id: string;
  platform: string;
  muted: boolean | null;
}

/**
 * Plans a run of messages in one query when nobody in them has a device (the common case): the
 * devices of the run's recipients, found from the devices table (a group's members without a
 * device are never read). Only messages that found devices cost more: their texts and names.
 */
async function planMessages(trx: Kysely<any>, sent: Sent[], deps: PlannerDeps): Promise<void> {
  const ms = sent.filter((m) => mayPush(m) && deps.now() - m.sentTime <= deps.maxAgeMs);
  if (ms.length === 0) return;
  const devices = await devicesOf(trx, ms);
  for (const m of ms) {
    const rows = (devices.get(m.conversationId) ?? []).filter((d) => candidates(m, [d.user_id]).length > 0);
    if (rows.length > 0) await planMessage(trx, m, rows, deps);
  }
}

/** The devices of each conversation's members (muted per conversation), for a run of messages. */
async function devicesOf(trx: Kysely<any>, ms: Sent[]): Promise<Map<string, DeviceRow[]>> {
  const conversations = new Map<string, Sent>();
  for (const m of ms) conversations.set(m.conversationId, m);
  const direct = [...conversations.values()].filter((m) => m.conversationType !== ConversationType.GROUP);
  const groups = [...conversations.values()].filter((m) => m.conversationType === ConversationType.GROUP);
  const { rows } = await sql<DeviceRow & { conversation_id: string }>`
    WITH members (conversation_id, user_id) AS (
      SELECT c, u FROM unnest(${direct.flatMap((m) => [m.conversationId, m.conversationId])}::text[],
                              ${direct.flatMap((m) => [m.senderId, m.targetId])}::text[]) AS t(c, u)
      UNION ALL
      SELECT ${`${ConversationType.GROUP}:`} || gm.group_id, gm.user_id
        FROM devices d JOIN group_members gm ON gm.user_id = d.user_id AND gm.group_id = ANY(${groups.map((m) => m.targetId)}::text[])
    )
    SELECT DISTINCT mb.conversation_id, d.user_id, d.device_id, d.platform, s.muted
      FROM members mb
      JOIN devices d ON d.user_id = mb.user_id
      LEFT JOIN notification_settings s ON s.user_id = d.user_id AND s.conversation_id = mb.conversation_id`.execute(trx);
  const byConversation = new Map<string, DeviceRow[]>();
  for (const r of rows) byConversation.set(r.conversation_id, [...(byConversation.get(r.conversation_id) ?? []), r]);
  return byConversation;
}

async function planMessage(trx: Kysely<any>, m: Sent, rows: DeviceRow[], deps: PlannerDeps): Promise<void> {
  const typeText = defaultText(m, BUILT_IN_MESSAGE_TYPES.has(m.objectName) ? null : await customPushContent(trx, m.objectName));
  const names = await namesOf(trx, m);
  const base = { title: pushTitle(m, names), now: deps.now() };
  const jobs = rows.flatMap((d) => {
    const mentioned = isMentioned(m, d.user_id);
    const text = pushText(m, typeText, mentioned);
    if (!text || !passesMute(d.muted ?? false, mentioned) || deps.presence.isOnline(d.user_id)) return [];
    return [jobRow(m, d, { ...base, body: withSender(m.conversationType, names.sender, text) })];
  });
  for (let i = 0; i < jobs.length; i += INSERT_CHUNK) {
    await trx.insertInto('push_jobs').values(jobs.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.constraint('push_jobs_once').doNothing()).execute();
  }
}

function jobRow(m: Sent, d: DeviceRow, p: { title: string | null; body: string; now: number }): Record<string, unknown> {
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
    status: 'pending',
    due_at: p.now,
    created_at: p.now,
  };
}

/**
 * A recall cancels the pushes not sent yet, and tells the devices that were pushed the message
 * (or are being pushed it) "recalled a message"; devices never pushed it have nothing to take back.
 */
async function planRecall(trx: Kysely<any>, r: Recalled, now: number): Promise<void> {
  await trx
    .updateTable('push_jobs')
    .set({ status: 'skipped', reason: 'recalled', finished_at: now })
    .where('message_uid', '=', r.messageUId)
    .where('kind', '=', 'message')
    .where('status', '=', 'pending')
    .execute();
  const names = await namesOf(trx, r);
  const body = withSender(r.conversationType, names.sender, RECALL_TEXT);
  await sql`
    INSERT INTO push_jobs (message_uid, kind, user_id, device_id, platform, conversation_id, conversation_type, target_id,
                           sender_id, object_name, seq, sent_time, title, body, status, due_at, created_at)
    SELECT message_uid, 'recall', user_id, device_id, platform, conversation_id, conversation_type, target_id,
           sender_id, object_name, seq, sent_time, title, ${body}, 'pending', ${now}, ${now}
      FROM push_jobs
     WHERE message_uid = ${r.messageUId} AND kind = 'message' AND status IN ('sent', 'sending')
    ON CONFLICT ON CONSTRAINT push_jobs_once DO NOTHING`.execute(trx);
}

async function customPushContent(db: Kysely<any>, objectName: string): Promise<string | null> {
  const row = await db.selectFrom('message_types').select('push_content').where('object_name', '=', objectName).executeTakeFirst();
  return row?.push_content ?? null;
}

async function namesOf(db: Kysely<any>, m: { senderId: string; targetId: string }): Promise<{ sender: string; group: string }> {
  const [sender, group] = await Promise.all([
    db.selectFrom('profiles').select('name').where('user_id', '=', m.senderId).executeTakeFirst(),
    db.selectFrom('groups').select('name').where('group_id', '=', m.targetId).executeTakeFirst(),
  ]);
  return { sender: sender?.name ?? m.senderId, group: group?.name ?? m.targetId };
}
