import { Kysely, Migration, sql } from 'kysely';

/**
 * Ultra groups: their own tables, not group rows with a flag, so that a group id and an ultra
 * group id never meet (RongCloud keeps them apart too) and no query about groups has to learn to
 * skip them. Members are one list for every channel; the default channel `""` has no row (it
 * always exists). `ultra_channels` is the conversations projection's copy of the channels.
 */
export const ultraGroups: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE ultra_groups (
        ultra_group_id text PRIMARY KEY,
        name text NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE ultra_group_members (
        ultra_group_id text NOT NULL REFERENCES ultra_groups ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users,
        joined_at timestamptz NOT NULL,
        PRIMARY KEY (ultra_group_id, user_id)
      )`.execute(db);
    await sql`CREATE INDEX ultra_group_members_by_user ON ultra_group_members (user_id)`.execute(db);
    await sql`
      CREATE TABLE ultra_group_channels (
        ultra_group_id text NOT NULL REFERENCES ultra_groups ON DELETE CASCADE,
        channel_id text NOT NULL CHECK (channel_id <> ''),
        name text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (ultra_group_id, channel_id)
      )`.execute(db);
    await sql`
      CREATE TABLE ultra_channels (
        ultra_group_id text NOT NULL,
        channel_id text NOT NULL,
        PRIMARY KEY (ultra_group_id, channel_id)
      )`.execute(db);
    // Removing a member from an ultra group drops their row in every channel at once.
    await sql`CREATE INDEX conversation_members_by_target ON conversation_members (target_id, conversation_type, user_id)`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP INDEX conversation_members_by_target`.execute(db);
    await sql`DROP TABLE ultra_channels, ultra_group_channels, ultra_group_members, ultra_groups`.execute(db);
  },
};
