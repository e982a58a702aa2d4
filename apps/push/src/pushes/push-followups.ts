import { EventData } from '@im/contracts';
import { Insertable, Kysely, sql } from 'kysely';
import { targetFor } from '../view/conversation-members';
import { devicesOf, namesOf, pushable } from './planner-lookups';
import type { PlannerDeps } from './push-planner.reaction';
import { candidates, passesMute, pushTitle, recallBody } from './push.rules';
import type { DB, PushJobsTable } from '../db.generated';

type Recalled = EventData<'message.recalled'>;
type Appended = EventData<'message.stream.appended'>;

const INSERT_CHUNK = 1000;

/**
 * A recall cancels the pushes of the message not sent yet, and pushes "recalled a message" (or
 * the recall's pushContent) to every offline recipient who could see the message, whether or not
 * they were pushed it: the same rules as a message (not the sender, inside a direction, not muted).
 */
export async function planRecall(trx: Kysely<DB>, r: Recalled, deps: Pick<PlannerDeps, 'presence' | 'devices' | 'now' | 'maxAgeMs' | 'wake'>): Promise<void> {
  const now = deps.now();
  // Pushes not sent yet are cancelled; the flag stops one claimed meanwhile (push.worker.ts's re-check).
  await sql`
    UPDATE push_jobs
       SET recalled = true,
           status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END,
           reason = CASE WHEN status = 'pending' THEN 'recalled' ELSE reason END,
           finished_at = CASE WHEN status = 'pending' THEN ${now}::bigint ELSE finished_at END
     WHERE message_uid = ${r.messageUId} AND kind = 'message' AND status IN ('pending', 'sending')`.execute(trx);
  if (now - r.recallTime > deps.maxAgeMs) return;
  await deps.devices.ready();
  const users = pushable(r, deps.devices, deps.presence);
  if (users.length === 0) return;
  const rows = ((await devicesOf(trx, [{ conversation: r, users }])).get(r.conversationId) ?? []).filter(
    (d) => candidates(r, [d.user_id]).length > 0 && passesMute(d.muted ?? false, false) && !deps.presence.isOnline(d.user_id),
  );
  if (rows.length === 0) return;
  const names = await namesOf(trx, r);
  const title = pushTitle({ conversationType: r.conversationType, disablePushTitle: false }, names);
  const body = recallBody(r, names.sender);
  const jobs = rows.map((d): Insertable<PushJobsTable> => ({
    message_uid: r.messageUId,
    kind: 'recall',
    user_id: d.user_id,
    device_id: d.device_id,
    platform: d.platform,
    conversation_id: r.conversationId,
    conversation_type: r.conversationType,
    target_id: targetFor(r, d.user_id),
    sender_id: r.senderId,
    object_name: r.objectName,
    seq: r.seq,
    sent_time: r.recallTime,
    title,
    body,
    status: 'pending',
    due_at: now,
    created_at: now,
  }));
  for (let i = 0; i < jobs.length; i += INSERT_CHUNK) {
    await trx.insertInto('push_jobs').values(jobs.slice(i, i + INSERT_CHUNK)).onConflict((oc) => oc.constraint('push_jobs_once').doNothing()).execute();
  }
  deps.wake(0);
}

/**
 * A chunk of a stream whose push is still held: a body that is the stream's own text grows by
 * the chunk (the prefix "Sender: " stays in front), and the last chunk makes the push due now.
 * A push already out is never sent again: one push per stream message.
 */
export async function planStreamChunk(trx: Kysely<DB>, a: Appended, now: number): Promise<void> {
  await sql`
    UPDATE push_jobs
       SET body = CASE WHEN follows_stream THEN body || ${a.content} ELSE body END,
           due_at = CASE WHEN ${a.complete}::boolean AND attempts = 0 THEN least(due_at, ${now}) ELSE due_at END
     WHERE message_uid = ${a.messageUId} AND kind = 'message' AND status = 'pending'`.execute(trx);
}
