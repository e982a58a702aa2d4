import { Kysely, Migration, sql } from 'kysely';

/**
 * What push needs: its view of messaging and receipts (members, names, custom types, stored
 * messages, read positions), devices and mute settings (its write side), and the outbox of push
 * jobs with every attempt. `push_candidates` is replaced by `message_refs`.
 */
export const pushDelivery: Migration = {
  async up(db: Kysely<any>) {
    await sql`DROP TABLE push_candidates`.execute(db);
    await sql`DELETE FROM projection_checkpoints WHERE projection = 'push_candidates'`.execute(db);
    await sql`CREATE TABLE group_members (group_id text NOT NULL, user_id text NOT NULL, PRIMARY KEY (group_id, user_id))`.execute(db);
    await sql`CREATE TABLE profiles (user_id text PRIMARY KEY, name text NOT NULL)`.execute(db);
    await sql`CREATE TABLE groups (group_id text PRIMARY KEY, name text NOT NULL)`.execute(db);
    await sql`CREATE TABLE message_types (object_name text PRIMARY KEY, push_content text)`.execute(db);
    await sql`
      CREATE TABLE message_refs (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        target_id text NOT NULL,
        sender_id text NOT NULL,
        seq bigint NOT NULL,
        directed_user_ids text[],
        recalled boolean NOT NULL DEFAULT false
      )`.execute(db);
    await sql`
      CREATE TABLE read_positions (
        conversation_id text NOT NULL,
        user_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (conversation_id, user_id)
      )`.execute(db);
    await sql`
      CREATE TABLE devices (
        user_id text NOT NULL,
        device_id text NOT NULL,
        platform text NOT NULL CHECK (platform IN ('webhook', 'webpush')),
        url text,
        secret text,
        subscription jsonb,
        registered_at bigint NOT NULL,
        PRIMARY KEY (user_id, device_id),
        CHECK (platform <> 'webhook' OR (url IS NOT NULL AND secret IS NOT NULL)),
        CHECK (platform <> 'webpush' OR subscription IS NOT NULL)
      )`.execute(db);
    await sql`
      CREATE TABLE notification_settings (
        user_id text NOT NULL,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        target_id text NOT NULL,
        muted boolean NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (user_id, conversation_id)
      )`.execute(db);
    // At most one push per message per device: the unique key holds it across replicas and restarts.
    await sql`
      CREATE TABLE push_jobs (
        push_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        message_uid text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('message', 'recall')),
        user_id text NOT NULL,
        device_id text NOT NULL,
        platform text NOT NULL,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        target_id text NOT NULL,
        sender_id text NOT NULL,
        object_name text NOT NULL,
        seq bigint NOT NULL,
        sent_time bigint NOT NULL,
        title text,
        body text NOT NULL,
        badge integer,
        status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
        reason text,
        attempts integer NOT NULL DEFAULT 0,
        due_at bigint NOT NULL,
        lease_until bigint,
        created_at bigint NOT NULL,
        finished_at bigint,
        CONSTRAINT push_jobs_once UNIQUE (message_uid, kind, user_id, device_id)
      )`.execute(db);
    await sql`CREATE INDEX push_jobs_due ON push_jobs (due_at) WHERE status = 'pending'`.execute(db);
    await sql`CREATE INDEX push_jobs_leased ON push_jobs (lease_until) WHERE status = 'sending'`.execute(db);
    await sql`CREATE INDEX push_jobs_by_user ON push_jobs (user_id, push_id DESC)`.execute(db);
    await sql`
      CREATE TABLE push_attempts (
        push_id bigint NOT NULL REFERENCES push_jobs ON DELETE CASCADE,
        attempt integer NOT NULL,
        at bigint NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed', 'skipped')),
        http_status integer,
        error text,
        PRIMARY KEY (push_id, attempt)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE push_attempts, push_jobs, notification_settings, devices, read_positions, message_refs, message_types, groups, profiles, group_members`.execute(db);
    await sql`
      CREATE TABLE push_candidates (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        sender_id text NOT NULL,
        object_name text NOT NULL,
        sent_time bigint NOT NULL
      )`.execute(db);
  },
};
