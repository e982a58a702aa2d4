import { isGroupLike, membershipKey } from '../view/conversation-members';
import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

/** What the planner reads from the push view and the devices table, for messages and recalls alike. */
export interface ConversationOf {
  conversationId: string;
  conversationType: number;
  senderId: string;
  targetId: string;
}

export interface DeviceRow {
  user_id: string;
  device_id: string;
  platform: string;
  muted: boolean | null;
}

/**
 * The devices of each conversation's members (muted per conversation), found from the devices
 * table: a group's members without a device are never read.
 */
export async function devicesOf(trx: Kysely<DB>, items: ConversationOf[]): Promise<Map<string, DeviceRow[]>> {
  const conversations = new Map<string, ConversationOf>();
  for (const m of items) conversations.set(m.conversationId, m);
  const direct = [...conversations.values()].filter((m) => !isGroupLike(m.conversationType));
  const groups = [...conversations.values()].filter((m) => isGroupLike(m.conversationType));
  const { rows } = await sql<DeviceRow & { conversation_id: string }>`
    WITH members (conversation_id, user_id) AS (
      SELECT c, u FROM unnest(${direct.flatMap((m) => [m.conversationId, m.conversationId])}::text[],
                              ${direct.flatMap((m) => [m.senderId, m.targetId])}::text[]) AS t(c, u)
      UNION ALL
      SELECT g.conversation_id, gm.user_id
        FROM unnest(${groups.map((m) => m.conversationId)}::text[], ${groups.map((m) => membershipKey(m))}::text[]) AS g(conversation_id, group_key)
        JOIN group_members gm ON gm.group_id = g.group_key
        JOIN devices d ON d.user_id = gm.user_id
    )
    SELECT DISTINCT mb.conversation_id, d.user_id, d.device_id, d.platform, s.muted
      FROM members mb
      JOIN devices d ON d.user_id = mb.user_id
      LEFT JOIN notification_settings s ON s.user_id = d.user_id AND s.conversation_id = mb.conversation_id`.execute(trx);
  const byConversation = new Map<string, DeviceRow[]>();
  for (const r of rows) byConversation.set(r.conversation_id, [...(byConversation.get(r.conversation_id) ?? []), r]);
  return byConversation;
}

export async function customPushContent(db: Kysely<DB>, objectName: string): Promise<string | null> {
  const row = await db.selectFrom('message_types').select('push_content').where('object_name', '=', objectName).executeTakeFirst();
  return row?.push_content ?? null;
}

export async function namesOf(db: Kysely<DB>, m: { conversationType: number; senderId: string; targetId: string }): Promise<{ sender: string; group: string }> {
  const [sender, group] = await Promise.all([
    db.selectFrom('profiles').select('name').where('user_id', '=', m.senderId).executeTakeFirst(),
    db.selectFrom('groups').select('name').where('group_id', '=', membershipKey(m)).executeTakeFirst(),
  ]);
  return { sender: sender?.name ?? m.senderId, group: group?.name ?? m.targetId };
}
