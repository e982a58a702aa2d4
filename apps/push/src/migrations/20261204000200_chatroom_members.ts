import { Kysely, Migration, sql } from 'kysely';

/** Chatroom members in the push view: who a chatroom's message goes to live (never pushed). */
export const chatroomMembers: Migration = {
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE chatroom_members (
        chatroom_id text NOT NULL,
        user_id text NOT NULL,
        PRIMARY KEY (chatroom_id, user_id)
      )`.execute(db);
  },
  async down(db: Kysely<any>) {
    await sql`DROP TABLE chatroom_members`.execute(db);
  },
};
