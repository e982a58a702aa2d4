import { Kysely, Migration, sql } from 'kysely';

/**
 * Chatrooms (write side, derived from the chatroom events in the same transaction): the room
 * with its member count (kept by joins and leaves, so no count over 10,000 rows per read), one
 * row per member (joined, not per message), and its attributes (at most 100).
 */
export const chatrooms: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE chatrooms (
        chatroom_id text PRIMARY KEY,
        name text NOT NULL,
        member_count integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE chatroom_members (
        chatroom_id text NOT NULL REFERENCES chatrooms ON DELETE CASCADE,
        user_id text NOT NULL,
        joined_at timestamptz NOT NULL,
        PRIMARY KEY (chatroom_id, user_id)
      )`.execute(db);
    await sql`
      CREATE TABLE chatroom_attributes (
        chatroom_id text NOT NULL REFERENCES chatrooms ON DELETE CASCADE,
        key text NOT NULL,
        value text NOT NULL,
        user_id text NOT NULL,
        auto_delete boolean NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (chatroom_id, key)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE chatroom_attributes, chatroom_members, chatrooms`.execute(db);
  },
};
