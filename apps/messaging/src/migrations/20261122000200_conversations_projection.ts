import { Kysely, Migration, sql } from 'kysely';

/**
 * The conversations projection: history, and per user the conversation list with unread and
 * mention counts. A message costs O(1) rows whatever the group size: a per-conversation counter
 * of counted messages, a per-member read position, and sparse rows for mentions.
 */
export const conversationsProjection: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE messages (
        conversation_id text NOT NULL,
        seq bigint NOT NULL,
        message_uid text NOT NULL UNIQUE,
        conversation_type smallint NOT NULL,
        sender_id text NOT NULL,
        object_name text NOT NULL,
        content jsonb NOT NULL,
        sent_time bigint NOT NULL,
        need_read_receipt boolean NOT NULL,
        can_include_expansion boolean NOT NULL,
        counted_index bigint NOT NULL,
        PRIMARY KEY (conversation_id, seq)
      )`.execute(db);
    await sql`
      CREATE TABLE conversations (
        conversation_id text PRIMARY KEY,
        conversation_type smallint NOT NULL,
        last_message jsonb,
        last_seq bigint NOT NULL DEFAULT 0,
        last_time bigint NOT NULL DEFAULT 0,
        counted_total bigint NOT NULL DEFAULT 0
      )`.execute(db);
    // unread = counted_total - read_counted - own_after_read: the counted messages after the
    // member's position, minus the member's own.
    await sql`
      CREATE TABLE conversation_members (
        conversation_id text NOT NULL,
        user_id text NOT NULL,
        target_id text NOT NULL,
        conversation_type smallint NOT NULL,
        read_seq bigint NOT NULL DEFAULT 0,
        read_counted bigint NOT NULL DEFAULT 0,
        own_after_read bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (conversation_id, user_id)
      )`.execute(db);
    await sql`CREATE INDEX conversation_members_by_user ON conversation_members (user_id)`.execute(db);
    // user_id NULL means "mention all".
    await sql`
      CREATE TABLE mentions (
        conversation_id text NOT NULL,
        seq bigint NOT NULL,
        user_id text,
        sender_id text NOT NULL
      )`.execute(db);
    await sql`CREATE INDEX mentions_by_position ON mentions (conversation_id, seq)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE mentions, conversation_members, conversations, messages`.execute(db);
  },
};
