import { WebPushSubscription } from '@im/contracts';
import { Kysely, Selectable, sql } from 'kysely';
import type { DB, PushJobsTable } from '../db.generated';

/** The SQL of the push outbox: claim due jobs, read what the re-check needs, record outcomes. */
export type ClaimedJob = Pick<
  Selectable<PushJobsTable>,
  | 'push_id' | 'message_uid' | 'user_id' | 'device_id' | 'conversation_id' | 'conversation_type' | 'target_id'
  | 'sender_id' | 'object_name' | 'seq' | 'sent_time' | 'title' | 'body' | 'push_data' | 'attempts'
> & { kind: 'message' | 'recall' }; // seq: null for a message that is not stored

export interface JobContext {
  push_id: number;
  platform: 'webhook' | 'webpush' | null;
  url: string | null;
  secret: string | null;
  subscription: WebPushSubscription | null;
  recalled: boolean;
  read_seq: number;
  original_status: string | null;
}

/** How one claimed job ends this round. `attempt: null` puts it back without counting an attempt. */
export interface JobResult {
  pushId: string;
  attempts: number;
  status: 'pending' | 'sent' | 'failed' | 'skipped';
  reason: string | null;
  badge: number | null;
  dueAt: number | null;
  attempt: { outcome: 'sent' | 'retry' | 'failed' | 'skipped'; httpStatus: number | null; error: string | null } | null;
}

/**
 * A job whose sender stopped mid-send (its lease ran out) may or may not have been delivered:
 * it is recorded as failed, not sent again, so no device ever gets a push twice.
 */
export async function failInterrupted(db: Kysely<DB>, now: number): Promise<void> {
  await sql`
    WITH gone AS (
      UPDATE push_jobs SET status = 'failed', reason = 'interrupted', finished_at = ${now}, lease_until = NULL
       WHERE status = 'sending' AND lease_until < ${now}
      RETURNING push_id, attempts)
    INSERT INTO push_attempts (push_id, attempt, at, outcome, error)
    SELECT push_id, attempts, ${now}, 'failed', 'interrupted: the sender stopped before recording the outcome' FROM gone
    ON CONFLICT DO NOTHING`.execute(db);
}

/** Hands each due job to one worker of any replica (`SKIP LOCKED`), leased until `leaseUntil`. */
export async function claimDue(db: Kysely<DB>, now: number, leaseUntil: number, limit: number): Promise<ClaimedJob[]> {
  const { rows } = await sql<ClaimedJob>`
    UPDATE push_jobs j SET status = 'sending', attempts = j.attempts + 1, lease_until = ${leaseUntil}
     WHERE j.push_id IN (
       SELECT push_id FROM push_jobs WHERE status = 'pending' AND due_at <= ${now}
        ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING j.push_id, j.message_uid, j.kind, j.user_id, j.device_id, j.conversation_id, j.conversation_type, j.target_id,
              j.sender_id, j.object_name, j.seq, j.sent_time, j.title, j.body, j.push_data, j.attempts`.execute(db);
  return rows;
}

/**
 * The device as it is now, the message's recall (marked on its jobs by the recall's planning)
 * and read state, and for a recall its original push.
 */
export async function contextOf(db: Kysely<DB>, pushIds: string[]): Promise<Map<string, JobContext>> {
  const { rows } = await sql<JobContext>`
    SELECT j.push_id, d.platform, d.url, d.secret, d.subscription,
           j.recalled, coalesce(rp.seq, 0) AS read_seq, o.status AS original_status
      FROM push_jobs j
      LEFT JOIN devices d ON d.user_id = j.user_id AND d.device_id = j.device_id
      LEFT JOIN read_positions rp ON rp.conversation_id = j.conversation_id AND rp.user_id = j.user_id
      LEFT JOIN push_jobs o ON j.kind = 'recall' AND o.kind = 'message' AND o.message_uid = j.message_uid
                           AND o.user_id = j.user_id AND o.device_id = j.device_id
     WHERE j.push_id = ANY(${pushIds}::bigint[])`.execute(db);
  return new Map(rows.map((r) => [String(r.push_id), r]));
}

/**
 * Records a round in one statement: each job's new state and, where an attempt was made, the
 * attempt. Only jobs still leased by this round are touched (a lease that ran out was failed).
 */
export async function record(db: Kysely<DB>, results: JobResult[], now: number): Promise<void> {
  if (results.length === 0) return;
  const col = <T>(f: (r: JobResult) => T) => results.map(f);
  const finished = (r: JobResult) => (r.status === 'pending' ? null : now);
  await sql`
    WITH v AS (
      SELECT * FROM unnest(
        ${col((r) => r.pushId)}::bigint[], ${col((r) => r.attempts)}::int[], ${col((r) => r.status)}::text[],
        ${col((r) => r.reason)}::text[], ${col((r) => r.badge)}::int[], ${col((r) => r.dueAt)}::bigint[], ${col(finished)}::bigint[],
        ${col((r) => r.attempt?.outcome ?? null)}::text[], ${col((r) => r.attempt?.httpStatus ?? null)}::int[], ${col((r) => r.attempt?.error ?? null)}::text[]
      ) AS v(push_id, attempts, status, reason, badge, due_at, finished_at, outcome, http_status, error)),
    updated AS (
      UPDATE push_jobs j
         SET status = v.status, reason = v.reason, badge = coalesce(v.badge, j.badge), due_at = coalesce(v.due_at, j.due_at),
             finished_at = v.finished_at, lease_until = NULL,
             attempts = CASE WHEN v.outcome IS NULL THEN j.attempts - 1 ELSE j.attempts END
        FROM v
       WHERE j.push_id = v.push_id AND j.status = 'sending' AND j.attempts = v.attempts
      RETURNING j.push_id)
    INSERT INTO push_attempts (push_id, attempt, at, outcome, http_status, error)
    SELECT v.push_id, v.attempts, ${now}, v.outcome, v.http_status, v.error
      FROM v JOIN updated u ON u.push_id = v.push_id
     WHERE v.outcome IS NOT NULL
    ON CONFLICT DO NOTHING`.execute(db);
}
