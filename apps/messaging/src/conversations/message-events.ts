import { ConversationType, EventData, MessageView } from '@im/contracts';
import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;
/** A sent message that is stored: it has its seq. */
export type StoredSent = Sent & { seq: number };

export const isStored = (m: Sent): m is StoredSent => m.isPersisted && m.seq !== null;
type Recalled = EventData<'message.recalled'>;
type Appended = EventData<'message.stream.appended'>;
export type StoredView = Omit<MessageView, 'targetId'>;

/** The stored message as every reader sees it; targetId is filled in per reader. */
export function storedView(m: Sent): StoredView {
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
    ...(m.directedUserIds ? { directedUserIds: m.directedUserIds } : {}),
    ...(m.channelId !== undefined ? { channelId: m.channelId } : {}),
  };
}

/**
 * What a recalled message shows in history: an RC:RcCmd with the seed's content fields, named
 * exactly as the seed names them (`SentTime` is the original's sent time; `ChannelId` is empty
 * outside ultra groups), then who recalled it, when, and what it was.
 */
export function recallNotice(r: Recalled, sentTime: number): { objectName: string; content: Record<string, unknown> } {
  return {
    objectName: 'RC:RcCmd',
    content: {
      MessageUId: r.messageUId,
      TargetId: r.targetId,
      ChannelId: r.channelId ?? '',
      SentTime: sentTime,
      ConversationType: r.conversationType,
      isAdmin: r.isAdmin,
      isDelete: r.isDelete,
      operatorId: r.operatorId,
      recallTime: r.recallTime,
      originalObjectName: r.objectName,
    },
  };
}

/** A stored message's history row; `countedIndex` is the conversation's counted total just after it. */
export function messageRow(m: StoredSent, countedIndex: number) {
  return {
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
    counted_index: countedIndex,
    is_counted: m.isCounted,
    directed_user_ids: m.directedUserIds ?? null,
  };
}

export async function onMessageSent(trx: Kysely<DB>, m: Sent): Promise<void> {
  if (!isStored(m)) return;
  await ensureDirectMembers(trx, m);
  // Directed messages leave the shared counter and last message alone: they are sparse rows.
  const sharedCount = m.isCounted && !m.directedUserIds ? 1 : 0;
  const shared = m.directedUserIds ? null : JSON.stringify(storedView(m));
  const { rows } = await sql<{ counted_total: number }>`
    INSERT INTO conversations (conversation_id, conversation_type, last_message, last_seq, last_time, counted_total)
    VALUES (${m.conversationId}, ${m.conversationType}, ${shared}, ${m.seq}, ${shared ? m.sentTime : 0}, ${sharedCount})
    ON CONFLICT (conversation_id) DO UPDATE SET
      last_message = coalesce(excluded.last_message, conversations.last_message),
      last_time = greatest(conversations.last_time, excluded.last_time),
      last_seq = greatest(conversations.last_seq, excluded.last_seq),
      counted_total = conversations.counted_total + ${sharedCount}
    RETURNING counted_total`.execute(trx);
  await trx.insertInto('messages').values(messageRow(m, rows[0].counted_total)).execute();
  if (sharedCount) await bumpOwn(trx, m.conversationId, m.senderId, m.seq);
  if (sharedCount) await countReadAhead(trx, m.conversationId, m.seq);
  if (m.directedUserIds) await recordDirected(trx, m, m.directedUserIds);
  await recordMention(trx, m);
}

/** The sender's own message is not unread for the sender (unless their position is already past it). */
async function bumpOwn(trx: Kysely<DB>, conversationId: string, userId: string, seq: number): Promise<void> {
  await trx
    .updateTable('conversation_members')
    .set((eb) => ({ own_after_read: eb('own_after_read', '+', 1) }))
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .where('read_seq', '<', seq)
    .execute();
}

/**
 * A read position can arrive (from receipts) before the messages it covers are applied here:
 * such a message is already read, so it joins the read counter. An index range, empty but for
 * that race (or a rebuild replaying both streams at once).
 */
async function countReadAhead(trx: Kysely<DB>, conversationId: string, seq: number): Promise<void> {
  await trx
    .updateTable('conversation_members')
    .set((eb) => ({ read_counted: eb('read_counted', '+', 1) }))
    .where('conversation_id', '=', conversationId)
    .where('read_seq', '>=', seq)
    .execute();
}

/** The sender and each directed user see it as their last message; recipients count it. */
async function recordDirected(trx: Kysely<DB>, m: StoredSent, userIds: string[]): Promise<void> {
  await trx
    .updateTable('conversation_members')
    .set({ last_directed: JSON.stringify(storedView(m)), last_directed_seq: m.seq, last_directed_time: m.sentTime })
    .where('conversation_id', '=', m.conversationId)
    .where('user_id', 'in', [m.senderId, ...userIds])
    .where('last_directed_seq', '<', m.seq)
    .execute();
  if (m.isCounted && userIds.length > 0) {
    await trx
      .insertInto('directed_marks')
      .values(userIds.map((user_id) => ({ conversation_id: m.conversationId, user_id, seq: m.seq })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/** Private and system conversations get their member rows from their first message. */
async function ensureDirectMembers(trx: Kysely<DB>, m: Sent): Promise<void> {
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

async function recordMention(trx: Kysely<DB>, m: StoredSent): Promise<void> {
  if (!m.mention) return;
  const userIds = m.mention.type === 1 ? [null] : m.mention.userIds;
  if (userIds.length === 0) return;
  await trx
    .insertInto('mentions')
    .values(userIds.map((user_id) => ({ conversation_id: m.conversationId, seq: m.seq, user_id, sender_id: m.senderId })))
    .execute();
}

/**
 * A recall turns the message into a notice (or removes it) and takes it out of the counts of
 * whoever had not read it: one `recalled_counted` row, which every position after it subtracts.
 */
export async function onMessageRecalled(trx: Kysely<DB>, r: Recalled): Promise<void> {
  const where = { conversation_id: r.conversationId, seq: r.seq };
  const original = await trx.selectFrom('messages').select(['is_counted', 'directed_user_ids', 'sent_time']).where('conversation_id', '=', where.conversation_id).where('seq', '=', where.seq).executeTakeFirst();
  if (!original) return;
  const notice = recallNotice(r, original.sent_time);
  if (r.isDelete) {
    await trx.deleteFrom('messages').where('conversation_id', '=', where.conversation_id).where('seq', '=', where.seq).execute();
  } else {
    await trx
      .updateTable('messages')
      .set({ object_name: notice.objectName, content: JSON.stringify(notice.content), recalled: true })
      .where('conversation_id', '=', where.conversation_id)
      .where('seq', '=', where.seq)
      .execute();
  }
  if (original.directed_user_ids) {
    await trx.deleteFrom('directed_marks').where('conversation_id', '=', where.conversation_id).where('seq', '=', where.seq).execute();
  } else if (original.is_counted) {
    await trx.insertInto('recalled_counted').values({ ...where, sender_id: r.senderId }).onConflict((oc) => oc.doNothing()).execute();
  }
  await trx.deleteFrom('mentions').where('conversation_id', '=', where.conversation_id).where('seq', '=', where.seq).execute();
  await refreshLastMessage(trx, r.conversationId, r.seq);
}

/** If the changed message is someone's last message, show them its current state. */
async function refreshLastMessage(trx: Kysely<DB>, conversationId: string, seq: number): Promise<void> {
  const viewSql = sql`jsonb_build_object('messageUId', m.message_uid, 'seq', m.seq, 'conversationType', m.conversation_type,
      'senderId', m.sender_id, 'objectName', m.object_name, 'content', m.content, 'sentTime', m.sent_time,
      'needReadReceipt', m.need_read_receipt, 'canIncludeExpansion', m.can_include_expansion)
      || CASE WHEN m.recalled THEN '{"recalled": true}'::jsonb ELSE '{}'::jsonb END`;
  await sql`
    UPDATE conversations c SET last_message = (
      SELECT ${viewSql} FROM messages m
       WHERE m.conversation_id = c.conversation_id AND m.directed_user_ids IS NULL
       ORDER BY m.seq DESC LIMIT 1)
     WHERE c.conversation_id = ${conversationId} AND (c.last_message->>'seq')::bigint = ${seq}`.execute(trx);
  await sql`
    UPDATE conversation_members cm SET last_directed = (
      SELECT (${viewSql}) || jsonb_build_object('directedUserIds', m.directed_user_ids) FROM messages m
       WHERE m.conversation_id = cm.conversation_id AND m.seq = ${seq})
     WHERE cm.conversation_id = ${conversationId} AND cm.last_directed_seq = ${seq}`.execute(trx);
}

/** History shows the whole text so far; the stream's chunks arrive in order. */
export async function onStreamAppended(trx: Kysely<DB>, a: Appended): Promise<void> {
  await sql`
    UPDATE messages SET content = content
      || jsonb_build_object('content', coalesce(content->>'content', '') || ${a.content}::text, 'seq', ${a.seq}::int, 'complete', ${a.complete}::boolean)
      || ${a.completeReason !== undefined ? sql`jsonb_build_object('completeReason', ${a.completeReason}::int)` : sql`'{}'::jsonb`}
     WHERE conversation_id = ${a.conversationId} AND seq = ${a.messageSeq}`.execute(trx);
  await refreshLastMessage(trx, a.conversationId, a.messageSeq);
}
