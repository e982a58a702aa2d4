import { ConversationType, EventData } from '@im/contracts';
import { defineProjection, runsOf, TypedEvent } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { onMessagesSent } from './message-batch';
import { onMessageRecalled, onMessageSent, onStreamAppended } from './message-events';
import { applyPendingReads, lockConversation, onConversationRead } from './read-events';
import type { DB } from '../db.generated';
import { onUltraGroupChannelUpserted, onUltraGroupMembersAdded, onUltraGroupMembersRemoved } from './ultra-group-events';

const HANDLES = ['message.sent', 'message.recalled', 'message.stream.appended', 'group.members.added', 'group.members.removed', 'ultragroup.members.added', 'ultragroup.members.removed', 'ultragroup.channel.upserted', 'conversation.read'] as const;

/**
 * History and conversation lists, from messaging's own events and the receipts service's read
 * positions. Every write is O(1) in the size of the group; the member rows of a group come from
 * membership events, not messages.
 */
export const conversationsProjection = defineProjection({
  name: 'conversations',
  sources: ['messaging', 'receipts'],
  tables: ['messages', 'conversations', 'conversation_members', 'mentions', 'directed_marks', 'recalled_counted', 'pending_reads', 'ultra_channels'],
  handles: HANDLES,
  apply,
  // Under load a batch is mostly message.sent: those go as sets (message-batch.ts).
  applyBatch: runsOf('message.sent', onMessagesSent, apply),
});

async function apply(trx: Kysely<DB>, event: TypedEvent<(typeof HANDLES)[number]>): Promise<void> {
  switch (event.type) {
    case 'message.sent':
      return onMessageSent(trx, event.data);
    case 'message.recalled':
      return onMessageRecalled(trx, event.data);
    case 'message.stream.appended':
      return onStreamAppended(trx, event.data);
    case 'group.members.added':
      return onMembersAdded(trx, event.data);
    case 'group.members.removed':
      return onMembersRemoved(trx, event.data);
    case 'ultragroup.members.added':
      return onUltraGroupMembersAdded(trx, event.data);
    case 'ultragroup.members.removed':
      return onUltraGroupMembersRemoved(trx, event.data);
    case 'ultragroup.channel.upserted':
      return onUltraGroupChannelUpserted(trx, event.data);
    case 'conversation.read':
      return onConversationRead(trx, event.data);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/** A new member starts read up to now: what was said before joining is not unread. */
async function onMembersAdded(trx: Kysely<DB>, e: EventData<'group.members.added'>): Promise<void> {
  const convId = `${ConversationType.GROUP}:${e.groupId}`;
  await lockConversation(trx, convId, ConversationType.GROUP);
  await sql`
    INSERT INTO conversation_members (conversation_id, user_id, target_id, conversation_type, read_seq, read_counted)
    SELECT ${convId}, u.user_id, ${e.groupId}, ${ConversationType.GROUP}, coalesce(c.last_seq, 0), coalesce(c.counted_total, 0)
      FROM unnest(${e.userIds}::text[]) AS u(user_id)
      LEFT JOIN conversations c ON c.conversation_id = ${convId}
    ON CONFLICT (conversation_id, user_id) DO NOTHING`.execute(trx);
  await applyPendingReads(trx, convId, e.userIds);
}

async function onMembersRemoved(trx: Kysely<DB>, e: EventData<'group.members.removed'>): Promise<void> {
  await trx.deleteFrom('pending_reads').where('conversation_id', '=', `${ConversationType.GROUP}:${e.groupId}`).where('user_id', 'in', e.userIds).execute();
  await trx
    .deleteFrom('conversation_members')
    .where('conversation_id', '=', `${ConversationType.GROUP}:${e.groupId}`)
    .where('user_id', 'in', e.userIds)
    .execute();
}
