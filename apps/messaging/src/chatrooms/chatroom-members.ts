import { Kysely } from 'kysely';
import type { DB } from '../db.generated';

export async function isChatroomMember(db: Kysely<DB>, chatroomId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('chatroom_members').select('user_id').where('chatroom_id', '=', chatroomId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}
