import { Kysely, Migration, sql } from 'kysely';

/** The write side: profiles, groups and membership, and each conversation's head (version, seq). */
export const writeSide: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE users (
        user_id text PRIMARY KEY,
        name text NOT NULL,
        portrait text,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE groups (
        group_id text PRIMARY KEY,
        name text NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE group_members (
        group_id text NOT NULL REFERENCES groups ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users,
        joined_at timestamptz NOT NULL,
        PRIMARY KEY (group_id, user_id)
      )`.execute(db);
    await sql`CREATE INDEX group_members_by_user ON group_members (user_id)`.execute(db);
    // One row per conversation serialises its sends: version is the event stream's version,
    // last_seq the last sequence number handed to a stored message.
    await sql`
      CREATE TABLE conversation_heads (
        conversation_id text PRIMARY KEY,
        version integer NOT NULL,
        last_seq bigint NOT NULL
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE conversation_heads, group_members, groups, users`.execute(db);
  },
};
