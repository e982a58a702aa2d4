import { ConversationType, conversationId, Errors } from '@im/contracts';
import { Kysely, Selectable, sql } from 'kysely';
import type { DB, ReceiptMessagesTable } from '../db.generated';

/** A stored message as receipts sees it (the `receipt_view` projection plus later requests). */
export interface ReceiptMessage {
  messageUId: string;
  conversationId: string;
  conversationType: number;
  /** As addressed by the sender: the peer in private, the user in system, the group. */
  targetId: string;
  seq: number;
  senderId: string;
  sentTime: number;
  directedUserIds: string[] | null;
  memberCount: number;
  recalled: boolean;
  /** Sent with needReadReceipt, or asked for later by its sender. */
  receiptsOn: boolean;
}

/** A `receipt_messages` row with whether it collects receipts (sent asking, or requested later). */
export type ReceiptMessageRow = Selectable<ReceiptMessagesTable> & { receipts_on: boolean };

export async function loadMessages(db: Kysely<DB>, messageUIds: readonly string[]): Promise<Map<string, ReceiptMessage>> {
  if (messageUIds.length === 0) return new Map();
  const { rows } = await sql<ReceiptMessageRow>`
    SELECT m.*, (m.need_read_receipt OR q.message_uid IS NOT NULL) AS receipts_on
      FROM receipt_messages m LEFT JOIN receipt_requests q ON q.message_uid = m.message_uid
     WHERE m.message_uid = ANY(${messageUIds as string[]}::text[])`.execute(db);
  return new Map(rows.map((r) => [r.message_uid, toMessage(r)]));
}

export function toMessage(r: ReceiptMessageRow): ReceiptMessage {
  return {
    messageUId: r.message_uid,
    conversationId: r.conversation_id,
    conversationType: r.conversation_type,
    targetId: r.target_id,
    seq: r.seq,
    senderId: r.sender_id,
    sentTime: r.sent_time,
    directedUserIds: r.directed_user_ids,
    memberCount: r.member_count,
    recalled: r.recalled,
    receiptsOn: r.receipts_on,
  };
}

/** The messages in one group conversation that `userId` was a member of when they were sent. */
export async function memberOfAny(db: Kysely<DB>, groupId: string, userId: string, seqs: number[]): Promise<Set<number>> {
  const { rows } = await sql<{ seq: number }>`
    SELECT s.seq FROM unnest(${seqs}::bigint[]) AS s(seq)
     WHERE EXISTS (SELECT 1 FROM group_members g WHERE g.group_id = ${groupId} AND g.user_id = ${userId}
                      AND g.joined_seq < s.seq AND (g.left_seq IS NULL OR g.left_seq >= s.seq))`.execute(db);
  return new Set(rows.map((r) => r.seq));
}

export async function isGroupMemberNow(db: Kysely<DB>, groupId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .where('left_seq', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether `userId` is in the message's conversation now: a party of a private one, a member of a group. */
export async function inConversation(db: Kysely<DB>, m: ReceiptMessage, userId: string): Promise<boolean> {
  if (m.conversationType !== ConversationType.GROUP) return m.senderId === userId || m.targetId === userId;
  return isGroupMemberNow(db, m.targetId, userId);
}

/** A conversation the caller reads, as the caller addresses it, with what receipts knows of it. */
export interface ReaderConversation {
  conversationId: string;
  conversationType: number;
  targetId: string;
  lastSeq: number;
  /** The other user of a private conversation. */
  peerId: string | null;
  /** Whether the reader reports reads to others (their setting). */
  reported: boolean;
}

/**
 * The conversation `userId` reads, or one 404 for "unknown" and "not yours": a group they are in,
 * or a private or system conversation with a message. One round trip, with the reader's setting.
 */
export async function readerConversation(db: Kysely<DB>, userId: string, type: number, targetId: string): Promise<ReaderConversation> {
  const convId = type === ConversationType.SYSTEM ? conversationId(type, targetId, userId) : conversationId(type, userId, targetId);
  const { rows } = await sql<{ last_seq: number | null; member: boolean; reported: boolean | null }>`
    SELECT (SELECT last_seq FROM receipt_conversations WHERE conversation_id = ${convId}) AS last_seq,
           EXISTS (SELECT 1 FROM group_members WHERE group_id = ${targetId} AND user_id = ${userId} AND left_seq IS NULL) AS member,
           (SELECT read_receipts FROM user_settings WHERE user_id = ${userId}) AS reported`.execute(db);
  const { last_seq, member, reported } = rows[0];
  const found = type === ConversationType.GROUP ? member : last_seq !== null && !(type === ConversationType.PRIVATE && userId === targetId);
  if (!found) throw Errors.notFound('conversation');
  return {
    conversationId: convId,
    conversationType: type,
    targetId,
    lastSeq: last_seq ?? 0,
    peerId: type === ConversationType.PRIVATE ? targetId : null,
    reported: reported ?? true,
  };
}
