import { DEFAULT_CHANNEL, Errors } from '@im/contracts';
import type { DB } from '../db.generated';
import { Kysely } from 'kysely';

/** Reads of the write side that sends and history check an ultra-group conversation against. */
export async function isUltraGroupMember(db: Kysely<DB>, ultraGroupId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('ultra_group_members')
    .select('user_id')
    .where('ultra_group_id', '=', ultraGroupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function ultraGroupMembersAmong(db: Kysely<DB>, ultraGroupId: string, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .selectFrom('ultra_group_members')
    .select('user_id')
    .where('ultra_group_id', '=', ultraGroupId)
    .where('user_id', 'in', userIds)
    .execute();
  return rows.map((r) => r.user_id);
}

/**
 * A member may use the conversation of one channel: strangers get the same 404 whether or not
 * the ultra group exists; a member naming a channel that does not exist gets 404
 * `CHANNEL_NOT_FOUND` (a member may know the channels, so naming the cause leaks nothing).
 */
export async function assertUltraGroupChannelAccess(db: Kysely<DB>, ultraGroupId: string, userId: string, channelId: string, what: string): Promise<void> {
  if (!(await isUltraGroupMember(db, ultraGroupId, userId))) throw Errors.notFound(what);
  if (channelId === DEFAULT_CHANNEL) return;
  const channel = await db
    .selectFrom('ultra_group_channels')
    .select('channel_id')
    .where('ultra_group_id', '=', ultraGroupId)
    .where('channel_id', '=', channelId)
    .executeTakeFirst();
  if (!channel) throw Errors.channelNotFound(channelId);
}

/** `channelId` belongs to ultra groups: on any other conversation it is a mistake, not a default. */
export function assertChannelOnlyInUltraGroups(conversationType: number, channelId: string | undefined): void {
  if (channelId === undefined || conversationType === 10) return;
  throw Errors.validation([{ path: 'channelId', message: 'channelId is for ultra groups (conversationType 10) only' }], 'channelId is for ultra groups only');
}
