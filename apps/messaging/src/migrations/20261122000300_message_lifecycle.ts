import { Kysely, Migration, sql } from 'kysely';

/**
 * Custom message types, the write-side index of stored messages (what recall and streaming
 * check and lock), and the projection's sparse rows for directed and recalled messages.
 */
export const messageLifecycle: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE message_types (
        object_name text PRIMARY KEY,
        is_persisted boolean NOT NULL,
        is_counted boolean NOT NULL,
        is_status boolean NOT NULL,
        push_content text,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE message_index (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        target_id text NOT NULL,
        sender_id text NOT NULL,
        seq bigint NOT NULL,
        object_name text NOT NULL,
        sent_time bigint NOT NULL,
        directed_user_ids text[],
        recalled_at bigint,
        stream_seq integer,
        stream_bytes integer,
        stream_complete boolean
      )`.execute(db);
    await sql`ALTER TABLE messages ADD COLUMN directed_user_ids text[], ADD COLUMN recalled boolean NOT NULL DEFAULT false, ADD COLUMN is_counted boolean NOT NULL DEFAULT true`.execute(db);
    await sql`
      ALTER TABLE conversation_members
        ADD COLUMN last_directed jsonb,
        ADD COLUMN last_directed_seq bigint NOT NULL DEFAULT 0,
        ADD COLUMN last_directed_time bigint NOT NULL DEFAULT 0`.execute(db);
    // A directed message counts only for its recipients: one row each, never one per member.
    await sql`
      CREATE TABLE directed_marks (
        conversation_id text NOT NULL,
        user_id text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (conversation_id, user_id, seq)
      )`.execute(db);
    // A recalled counted message stops counting for whoever had not read it: one row per recall.
    await sql`
      CREATE TABLE recalled_counted (
        conversation_id text NOT NULL,
        seq bigint NOT NULL,
        sender_id text NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE recalled_counted, directed_marks, message_index, message_types`.execute(db);
    await sql`ALTER TABLE conversation_members DROP COLUMN last_directed, DROP COLUMN last_directed_seq, DROP COLUMN last_directed_time`.execute(db);
    await sql`ALTER TABLE messages DROP COLUMN directed_user_ids, DROP COLUMN recalled, DROP COLUMN is_counted`.execute(db);
  },
};
