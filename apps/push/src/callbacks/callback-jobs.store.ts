import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

/** The SQL of the post-send outbox: claim what may go now, record outcomes. */
export interface ClaimedCallback {
  job_id: string;
  event_id: string;
  body: string;
  attempts: number;
  /** The callback as it is now (null: removed since the job was planned). */
  url: string | null;
  secret: string | null;
}

export interface CallbackResult {
  jobId: string;
  attempts: number;
  status: 'pending' | 'sent' | 'failed';
  dueAt: number | null;
  httpStatus: number | null;
  error: string | null;
  /** false: put back without counting an attempt (the receiver's origin was busy). */
  counted: boolean;
}

/**
 * At least once: a job whose sender stopped mid-send (its lease ran out) goes again; the
 * receiver drops a repeat by its id. Until then its conversation waits behind it.
 */
export async function requeueInterrupted(db: Kysely<DB>, now: number): Promise<void> {
  await sql`UPDATE callback_jobs SET status = 'pending', lease_until = NULL, due_at = ${now}
             WHERE status = 'sending' AND lease_until < ${now}`.execute(db);
}

/**
 * Due jobs that are the earliest unfinished one of their conversation: a later event is never
 * sent before an earlier one was delivered or given up. A job behind a pending or in-flight
 * one is not claimable, so any number of workers (`SKIP LOCKED`) keep each conversation's order.
 */
export async function claimDue(db: Kysely<DB>, now: number, leaseUntil: number, limit: number): Promise<ClaimedCallback[]> {
  const { rows } = await sql<ClaimedCallback>`
    WITH claimed AS (
      UPDATE callback_jobs j SET status = 'sending', attempts = j.attempts + 1, lease_until = ${leaseUntil}
       WHERE j.job_id IN (
         SELECT c.job_id FROM callback_jobs c
          WHERE c.status = 'pending' AND c.due_at <= ${now}
            AND NOT EXISTS (SELECT 1 FROM callback_jobs e
                             WHERE e.order_key = c.order_key AND e.job_id < c.job_id AND e.status IN ('pending', 'sending'))
          ORDER BY c.job_id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING j.job_id, j.event_id, j.body, j.attempts)
    SELECT c.*, p.url, p.secret FROM claimed c LEFT JOIN post_send_callback p ON p.id = 'app'`.execute(db);
  return rows;
}

/** Records a round in one statement; only jobs still leased by it are touched. */
export async function recordResults(db: Kysely<DB>, results: CallbackResult[], now: number): Promise<void> {
  if (results.length === 0) return;
  const col = <T>(f: (r: CallbackResult) => T) => results.map(f);
  await sql`
    UPDATE callback_jobs j
       SET status = v.status, due_at = coalesce(v.due_at, j.due_at), lease_until = NULL,
           last_error = v.error, http_status = v.http_status,
           finished_at = CASE WHEN v.status = 'pending' THEN NULL ELSE ${now}::bigint END,
           attempts = CASE WHEN v.counted THEN j.attempts ELSE j.attempts - 1 END
      FROM unnest(${col((r) => r.jobId)}::bigint[], ${col((r) => r.attempts)}::int[], ${col((r) => r.status)}::text[],
                  ${col((r) => r.dueAt)}::bigint[], ${col((r) => r.httpStatus)}::int[], ${col((r) => r.error)}::text[],
                  ${col((r) => r.counted)}::boolean[])
           AS v(job_id, attempts, status, due_at, http_status, error, counted)
     WHERE j.job_id = v.job_id AND j.status = 'sending' AND j.attempts = v.attempts`.execute(db);
}
