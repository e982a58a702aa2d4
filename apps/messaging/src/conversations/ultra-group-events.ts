import { conversationId, ConversationType, DEFAULT_CHANNEL, EventData } from '@im/contracts';
import type { DB } from '../db.generated';
import { Kysely, sql } from 'kysely';
import { lockConversation } from './read-events';

type Members = EventData<'ultragroup.members.added'>;
type Channel = EventData<'ultragroup.channel.upserted'>;

const ULTRA = ConversationType.ULTRA_GROUP;

/**
 * An ultra group's channels are conversations of their own (`10:<group>:<channel>`), each with a
 * member row per member, so unread counts, mentions and list rows are per channel and every
 * query of the projection works on them unchanged. Members are managed once: joining adds a row
 * in every channel known so far, a new channel adds a row for every member (the default
 * channel's rows are the member list), leaving removes them all.
 */
export async function onUltraGroupMembersAdded(trx: Kysely<DB>, e: Members): Promise<void> {
  const rows = await trx.selectFrom('ultra_channels').select('channel_id').where('ultra_group_id', '=', e.ultraGroupId).execute();
  const ids = [DEFAULT_CHANNEL, ...rows.map((r) => r.channel_id as string)].map((ch) => conversationId(ULTRA, '', e.ultraGroupId, ch)).sort();
  for (const id of ids) await lockConversation(trx, id, ULTRA);
  // A new member starts read up to now in every channel: what was said before joining is not unread.
  await sql`
    INSERT INTO conversation_members (conversation_id, user_id, target_id, conversation_type, read_seq, read_counted)
    SELECT ch.id, u.user_id, ${e.ultraGroupId}, ${ULTRA}, coalesce(c.last_seq, 0), coalesce(c.counted_total, 0)
      FROM unnest(${e.userIds}::text[]) AS u(user_id)
      CROSS JOIN unnest(${ids}::text[]) AS ch(id)
      LEFT JOIN conversations c ON c.conversation_id = ch.id
    ON CONFLICT (conversation_id, user_id) DO NOTHING`.execute(trx);
}

export async function onUltraGroupMembersRemoved(trx: Kysely<DB>, e: Members): Promise<void> {
  await trx
    .deleteFrom('conversation_members')
    .where('target_id', '=', e.ultraGroupId)
    .where('conversation_type', '=', ULTRA)
    .where('user_id', 'in', e.userIds)
    .execute();
}

/** A rename changes nothing here; a new channel gives every member its row. */
export async function onUltraGroupChannelUpserted(trx: Kysely<DB>, e: Channel): Promise<void> {
  const added = await trx
    .insertInto('ultra_channels')
    .values({ ultra_group_id: e.ultraGroupId, channel_id: e.channelId })
    .onConflict((oc) => oc.doNothing())
    .returning('channel_id')
    .execute();
  if (added.length === 0) return;
  const id = conversationId(ULTRA, '', e.ultraGroupId, e.channelId);
  await lockConversation(trx, id, ULTRA);
  await sql`
    INSERT INTO conversation_members (conversation_id, user_id, target_id, conversation_type, read_seq, read_counted)
    SELECT ${id}, m.user_id, ${e.ultraGroupId}, ${ULTRA}, coalesce(c.last_seq, 0), coalesce(c.counted_total, 0)
      FROM conversation_members m
      LEFT JOIN conversations c ON c.conversation_id = ${id}
     WHERE m.conversation_id = ${conversationId(ULTRA, '', e.ultraGroupId, DEFAULT_CHANNEL)}
    ON CONFLICT (conversation_id, user_id) DO NOTHING`.execute(trx);
}
