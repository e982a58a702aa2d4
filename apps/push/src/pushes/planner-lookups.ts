import { PresenceBoard } from '@im/realtime';
import { Kysely, sql } from 'kysely';
import { DeviceDirectory } from '../devices/device-directory';
import { isGroupLike, membershipKey } from '../view/conversation-members';
import { candidates } from './push.rules';
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

/** A conversation and the users of it to look devices up for (they have one, per the directory). */
export interface DeviceQuery {
  conversation: ConversationOf;
  users: readonly string[];
}

/**
 * Who of a message's (or recall's) audience could be pushed at all, from memory: has a device,
 * is not the sender, is inside a direction, has no live stream now. A group's are still to be
 * found members (devicesOf). Empty, the common case: nothing to read.
 */
export function pushable(
  m: ConversationOf & { directedUserIds?: string[] },
  directory: DeviceDirectory,
  presence: Pick<PresenceBoard, 'isOnline'>,
): string[] {
  const pool = isGroupLike(m.conversationType) ? (m.directedUserIds ?? directory.users()) : [m.senderId, m.targetId];
  return candidates(m, directory.withDevices(pool)).filter((u) => !presence.isOnline(u));
}

/**
 * Past this many users to ask about, a group's membership joined with the devices is the
 * cheaper read (the directory's users are asked about one by one otherwise).
 */
const PROBE_MAX = 1000;

/**
 * The devices (muted per conversation) of the given users of each conversation, for groups only
 * those still members. Only users the directory says have a device are asked about, so a
 * group's members without one are never read; no query at all when there are none.
 */
export async function devicesOf(trx: Kysely<DB>, queries: DeviceQuery[]): Promise<Map<string, DeviceRow[]>> {
  const asked = new Map<string, { conversation: ConversationOf; users: Set<string> }>();
  for (const q of queries) {
    const entry = asked.get(q.conversation.conversationId) ?? { conversation: q.conversation, users: new Set<string>() };
    q.users.forEach((u) => entry.users.add(u));
    asked.set(q.conversation.conversationId, entry);
  }
  const probe: Array<[string, string | null, string]> = [];
  const scan: Array<[string, string]> = [];
  for (const { conversation: c, users } of asked.values()) {
    const key = isGroupLike(c.conversationType) ? membershipKey(c) : null;
    if (key !== null && users.size > PROBE_MAX) scan.push([c.conversationId, key]);
    else for (const u of users) probe.push([c.conversationId, key, u]);
  }
  const byConversation = new Map<string, DeviceRow[]>();
  if (probe.length === 0 && scan.length === 0) return byConversation;
  const col = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);
  const { rows } = await sql<DeviceRow & { conversation_id: string }>`
    WITH members (conversation_id, user_id) AS (
      SELECT p.c, p.u FROM unnest(${col(probe, 0)}::text[], ${col(probe, 1)}::text[], ${col(probe, 2)}::text[]) AS p(c, g, u)
       WHERE p.g IS NULL OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = p.g AND gm.user_id = p.u)
      UNION
      SELECT s.c, gm.user_id
        FROM unnest(${col(scan, 0)}::text[], ${col(scan, 1)}::text[]) AS s(c, g)
        JOIN group_members gm ON gm.group_id = s.g
        JOIN devices d ON d.user_id = gm.user_id
    )
    SELECT mb.conversation_id, d.user_id, d.device_id, d.platform, s.muted
      FROM members mb
      JOIN devices d ON d.user_id = mb.user_id
      LEFT JOIN notification_settings s ON s.user_id = d.user_id AND s.conversation_id = mb.conversation_id`.execute(trx);
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
