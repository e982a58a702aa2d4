import { ConversationType, EventData, EventEnvelope, MessageView } from '@im/contracts';
import { Projection } from '@im/eventstore';
import { Kysely, sql } from 'kysely';

type Sent = EventData<'message.sent'>;
type Members = EventData<'group.members.added'>;

/**
 * History and conversation lists, from messaging's own events. Every write is O(1) in the
 * size of the group; the member rows of a group come from membership events, not messages.
 */
export const conversationsProjection: Projection = {
  name: 'conversations',
  sources: ['messaging'],
  tables: ['messages', 'conversations', 'conversation_members', 'mentions'],
  async apply(trx, event: EventEnvelope) {
    switch (event.type) {
      case 'message.sent':
        return onMessageSent(trx, event.data as Sent);
      case 'group.members.added':
        return onMembersAdded(trx, event.data as Members);
      case 'group.members.removed':
        return onMembersRemoved(trx, event.data as Members);
      default:
        return;
    }
  },
};

/** The stored message as every reader sees it; targetId is filled in per reader. */
export function storedView(m: Sent): Omit<MessageView, 'targetId'> {
  return {
    messageUId: m.messageUId,
    seq: m.seq,
    conversationType: m.conversationType,
    senderId: m.senderId,
    objectName: m.objectName,
    content: m.content,
    sentTime: m.sentTime,
    needReadReceipt: m.needReadReceipt,
    canIncludeExpansion: m.canIncludeExpansion,
  };
}

async function onMessageSent(trx: Kysely<any>, m: Sent): Promise<void> {
  if (!m.isPersisted || m.seq === null) return;
  await ensureDirectMembers(trx, m);
  const counted = m.isCounted ? 1 : 0;
  const { rows } = await sql<{ counted_total: number }>`
    INSERT INTO conversations (conversation_id, conversation_type, last_message, last_seq, last_time, counted_total)
    VALUES (${m.conversationId}, ${m.conversationType}, ${JSON.stringify(storedView(m))}, ${m.seq}, ${m.sentTime}, ${counted})
    ON CONFLICT (conversation_id) DO UPDATE SET
      last_message = CASE WHEN excluded.last_seq > conversations.last_seq THEN excluded.last_message ELSE conversations.last_message END,
      last_time = greatest(conversations.last_time, excluded.last_time),
      last_seq = greatest(conversations.last_seq, excluded.last_seq),
      counted_total = conversations.counted_total + ${counted}
    RETURNING counted_total`.execute(trx);
  await trx
    .insertInto('messages')
    .values({
      conversation_id: m.conversationId,
      seq: m.seq,
      message_uid: m.messageUId,
      conversation_type: m.conversationType,
      sender_id: m.senderId,
      object_name: m.objectName,
      content: JSON.stringify(m.content),
      sent_time: m.sentTime,
      need_read_receipt: m.needReadReceipt,
      can_include_expansion: m.canIncludeExpansion,
      counted_index: rows[0].counted_total,
    })
    .execute();
  if (counted) {
    // The sender's own message is not unread for the sender.
    await trx
      .updateTable('conversation_members')
      .set((eb) => ({ own_after_read: eb('own_after_read', '+', 1) }))
      .where('conversation_id', '=', m.conversationId)
      .where('user_id', '=', m.senderId)
      .execute();
  }
  await recordMention(trx, m);
}

/** Private and system conversations get their member rows from their first message. */
async function ensureDirectMembers(trx: Kysely<any>, m: Sent): Promise<void> {
  const rows =
    m.conversationType === ConversationType.PRIVATE
      ? [
          { user_id: m.senderId, target_id: m.targetId },
          { user_id: m.targetId, target_id: m.senderId },
        ]
      : m.conversationType === ConversationType.SYSTEM
        ? [{ user_id: m.targetId, target_id: m.senderId }]
        : [];
  if (rows.length === 0) return;
  await trx
    .insertInto('conversation_members')
    .values(rows.map((r) => ({ ...r, conversation_id: m.conversationId, conversation_type: m.conversationType })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function recordMention(trx: Kysely<any>, m: Sent): Promise<void> {
  if (!m.mention) return;
  const userIds = m.mention.type === 1 ? [null] : m.mention.userIds;
  if (userIds.length === 0) return;
  await trx
    .insertInto('mentions')
    .values(userIds.map((user_id) => ({ conversation_id: m.conversationId, seq: m.seq, user_id, sender_id: m.senderId })))
    .execute();
}

/** A new member starts read up to now: what was said before joining is not unread. */
async function onMembersAdded(trx: Kysely<any>, e: Members): Promise<void> {
  const convId = `${ConversationType.GROUP}:${e.groupId}`;
  await sql`
    INSERT INTO conversation_members (conversation_id, user_id, target_id, conversation_type, read_seq, read_counted)
    SELECT ${convId}, u.user_id, ${e.groupId}, ${ConversationType.GROUP}, coalesce(c.last_seq, 0), coalesce(c.counted_total, 0)
      FROM unnest(${e.userIds}::text[]) AS u(user_id)
      LEFT JOIN conversations c ON c.conversation_id = ${convId}
    ON CONFLICT (conversation_id, user_id) DO NOTHING`.execute(trx);
}

async function onMembersRemoved(trx: Kysely<any>, e: Members): Promise<void> {
  await trx
    .deleteFrom('conversation_members')
    .where('conversation_id', '=', `${ConversationType.GROUP}:${e.groupId}`)
    .where('user_id', 'in', e.userIds)
    .execute();
}
