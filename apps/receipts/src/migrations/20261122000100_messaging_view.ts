import { Kysely, Migration, sql } from 'kysely';

/**
 * The receipts service's view of messaging (the `receipt_view` projection): stored messages with
 * who they were for, and group membership as intervals of seq, so "the members when it was sent"
 * is a question about intervals and never a row per member per message.
 */
export const messagingView: Migration = {
  async up(db: Kysely<any>) {
    // member_count: how many the message was for when it was sent (its sender excluded).
    await sql`
      CREATE TABLE receipt_messages (
        message_uid text PRIMARY KEY,
        conversation_id text NOT NULL,
        conversation_type smallint NOT NULL,
        target_id text NOT NULL,
        seq bigint NOT NULL,
        sender_id text NOT NULL,
        need_read_receipt boolean NOT NULL,
        sent_time bigint NOT NULL,
        directed_user_ids text[],
        member_count integer NOT NULL,
        recalled boolean NOT NULL DEFAULT false
      )`.execute(db);
    await sql`CREATE UNIQUE INDEX receipt_messages_by_position ON receipt_messages (conversation_id, seq)`.execute(db);
    await sql`
      CREATE TABLE receipt_conversations (
        conversation_id text PRIMARY KEY,
        conversation_type smallint NOT NULL,
        last_seq bigint NOT NULL
      )`.execute(db);
    // A member of a group for the messages with joined_seq < seq <= left_seq (left_seq NULL: still in).
    await sql`
      CREATE TABLE group_members (
        group_id text NOT NULL,
        user_id text NOT NULL,
        joined_seq bigint NOT NULL,
        left_seq bigint,
        PRIMARY KEY (group_id, user_id, joined_seq)
      )`.execute(db);
    await sql`CREATE UNIQUE INDEX group_members_open ON group_members (group_id, user_id) WHERE left_seq IS NULL`.execute(db);
    await sql`CREATE INDEX group_members_by_join ON group_members (group_id, joined_seq)`.execute(db);
    await sql`
      CREATE TABLE receipt_groups (
        group_id text PRIMARY KEY,
        member_count integer NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE receipt_groups, group_members, receipt_conversations, receipt_messages`.execute(db);
  },
};
