import { Kysely, Migration, sql } from 'kysely';

/**
 * The post-send callback (one per deployment) and its outbox: one job per event delivered,
 * unique per event (a redelivered or replayed event plans nothing twice), ordered per
 * conversation by `job_id` (the order the planner met the events in).
 */
export const postSendCallbacks: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE post_send_callback (
        id text PRIMARY KEY CHECK (id = 'app'),
        url text NOT NULL,
        secret text NOT NULL,
        events text[] NOT NULL,
        configured_at bigint NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE callback_jobs (
        job_id bigserial PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        event_type text NOT NULL,
        order_key text NOT NULL,
        body text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        due_at bigint NOT NULL,
        lease_until bigint,
        last_error text,
        http_status int,
        created_at bigint NOT NULL,
        finished_at bigint
      )`.execute(db);
    // What the claim reads: the earliest unfinished job of each conversation, and due ones.
    await sql`CREATE INDEX callback_jobs_open ON callback_jobs (order_key, job_id) WHERE status IN ('pending', 'sending')`.execute(db);
    await sql`CREATE INDEX callback_jobs_due ON callback_jobs (due_at) WHERE status = 'pending'`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE callback_jobs`.execute(db);
    await sql`DROP TABLE post_send_callback`.execute(db);
  },
};
