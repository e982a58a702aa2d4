import { ConversationType, EventData } from '@im/contracts';
import { defineProjection, runsOf, TypedEvent } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { membersAtSend } from './membership.rules';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;
const HANDLES = ['message.sent', 'message.recalled', 'group.members.added', 'group.members.removed'] as const;

/**
 * What receipts needs to know of messaging: stored messages (seq, sender, who they were for)
 * and group membership as seq intervals. One consumer applies the messaging stream in order,
 * so "the members when it was sent" is the open intervals at the time message.sent is applied.
 */
export const receiptViewProjection = defineProjection({
  name: 'receipt_view',
  sources: ['messaging'],
  tables: ['receipt_messages', 'receipt_conversations', 'group_members', 'receipt_groups'],
  handles: HANDLES,
  apply,
  applyBatch: runsOf('message.sent', (trx, run) => onMessagesSent(trx, run), apply),
});

async function apply(trx: Kysely<DB>, event: TypedEvent<(typeof HANDLES)[number]>): Promise<void> {
  switch (event.type) {
    case 'message.sent':
      return onMessagesSent(trx, [event.data]);
    case 'message.recalled':
      await trx.updateTable('receipt_messages').set({ recalled: true }).where('message_uid', '=', event.data.messageUId).execute();
      return;
    case 'group.members.added':
      return onMembersAdded(trx, event.data);
    case 'group.members.removed':
      return onMembersRemoved(trx, event.data);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/**
 * A run of messages: each conversation's last seq in one upsert, the messages in one insert.
 * Membership cannot change within a run (that is another event), so a group's count is read
 * once per group and sender.
 */
async function onMessagesSent(trx: Kysely<DB>, sent: Sent[]): Promise<void> {
  const stored = sent.filter((m): m is Sent & { seq: number } => m.seq !== null);
  if (stored.length === 0) return;
  const lastSeq = new Map<string, Sent>();
  for (const m of stored) if ((lastSeq.get(m.conversationId)?.seq ?? -1) < m.seq) lastSeq.set(m.conversationId, m);
  const conversations = [...lastSeq.values()].sort((a, b) => (a.conversationId < b.conversationId ? -1 : 1));
  await sql`
    INSERT INTO receipt_conversations (conversation_id, conversation_type, last_seq)
    SELECT * FROM unnest(${conversations.map((m) => m.conversationId)}::text[], ${conversations.map((m) => m.conversationType)}::smallint[],
                         ${conversations.map((m) => m.seq)}::bigint[])
    ON CONFLICT (conversation_id) DO UPDATE SET last_seq = greatest(receipt_conversations.last_seq, excluded.last_seq)`.execute(trx);
  const groups = new Map<string, { members: number; senderIsMember: boolean }>();
  const rows = [];
  for (const m of stored) {
    let group = null;
    if (m.conversationType === ConversationType.GROUP && !m.directedUserIds) {
      const key = `${m.targetId}\u0000${m.senderId}`;
      group = groups.get(key) ?? (await groupCount(trx, m.targetId, m.senderId));
      groups.set(key, group);
    }
    rows.push({
      message_uid: m.messageUId,
      conversation_id: m.conversationId,
      conversation_type: m.conversationType,
      target_id: m.targetId,
      seq: m.seq,
      sender_id: m.senderId,
      need_read_receipt: m.needReadReceipt,
      sent_time: m.sentTime,
      directed_user_ids: m.directedUserIds ?? null,
      member_count: membersAtSend(m.conversationType, m.directedUserIds, group),
    });
  }
  await trx.insertInto('receipt_messages').values(rows).onConflict((oc) => oc.doNothing()).execute();
}

/** The group's members now, and whether the sender is one of them. */
async function groupCount(trx: Kysely<DB>, groupId: string, senderId: string): Promise<{ members: number; senderIsMember: boolean }> {
  const { rows } = await sql<{ members: number | null; sender: boolean }>`
    SELECT (SELECT member_count FROM receipt_groups WHERE group_id = ${groupId}) AS members,
           EXISTS (SELECT 1 FROM group_members WHERE group_id = ${groupId} AND user_id = ${senderId} AND left_seq IS NULL) AS sender`.execute(trx);
  return { members: rows[0].members ?? 0, senderIsMember: rows[0].sender };
}

async function lastSeq(trx: Kysely<DB>, groupId: string): Promise<number> {
  const row = await trx
    .selectFrom('receipt_conversations')
    .select('last_seq')
    .where('conversation_id', '=', `${ConversationType.GROUP}:${groupId}`)
    .executeTakeFirst();
  return row?.last_seq ?? 0;
}

/** A joiner is a member of the messages after the group's current seq; a duplicate join opens nothing. */
async function onMembersAdded(trx: Kysely<DB>, e: EventData<'group.members.added'>): Promise<void> {
  const joined = await lastSeq(trx, e.groupId);
  const { rows } = await sql<{ user_id: string }>`
    INSERT INTO group_members (group_id, user_id, joined_seq, left_seq)
    SELECT ${e.groupId}, u.user_id, ${joined}, NULL
      FROM unnest(${e.userIds}::text[]) AS u(user_id)
     WHERE NOT EXISTS (SELECT 1 FROM group_members g WHERE g.group_id = ${e.groupId} AND g.user_id = u.user_id AND g.left_seq IS NULL)
    ON CONFLICT (group_id, user_id, joined_seq) DO UPDATE SET left_seq = NULL
    RETURNING user_id`.execute(trx);
  await bumpMembers(trx, e.groupId, rows.length);
}

/** A leaver stays a member of every message up to the group's current seq. */
async function onMembersRemoved(trx: Kysely<DB>, e: EventData<'group.members.removed'>): Promise<void> {
  const left = await lastSeq(trx, e.groupId);
  const closed = await trx
    .updateTable('group_members')
    .set({ left_seq: left })
    .where('group_id', '=', e.groupId)
    .where('user_id', 'in', e.userIds)
    .where('left_seq', 'is', null)
    .returning('user_id')
    .execute();
  await bumpMembers(trx, e.groupId, -closed.length);
}

async function bumpMembers(trx: Kysely<DB>, groupId: string, delta: number): Promise<void> {
  if (delta === 0) return;
  await sql`
    INSERT INTO receipt_groups (group_id, member_count) VALUES (${groupId}, ${delta})
    ON CONFLICT (group_id) DO UPDATE SET member_count = receipt_groups.member_count + ${delta}`.execute(trx);
}
