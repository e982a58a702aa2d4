import { ConversationType, EventData } from '@im/contracts';
import { BACKGROUND_LINGER_UNDER_LOAD_MS, defineProjection, runsOf, TypedEvent } from '@im/eventstore';
import { Kysely, sql } from 'kysely';
import { fixedMemberCount } from './membership.rules';
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
  // Read by commands and queries of receipts, after the reads they count: no one watches it fill.
  lingerUnderLoadMs: BACKGROUND_LINGER_UNDER_LOAD_MS,
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
 * A run of messages in one statement: the rows go as one JSON parameter, a data-modifying CTE
 * moves each conversation's last seq, and the insert takes a shared group's count from
 * `receipt_groups` (kept by the membership events) less the sender if they are an open member,
 * one index probe per message inside the statement. Membership cannot change within a run
 * (that is another event), so every message of the run sees the same members. Before this, a
 * batch cost an upsert, an insert and a query per group and sender (bench: receipts 0.25-0.41 ms
 * CPU per private message, 2 statements per batch of ~8 besides the consumer's own).
 */
async function onMessagesSent(trx: Kysely<DB>, sent: Sent[]): Promise<void> {
  const rows = sent
    .filter((m): m is Sent & { seq: number } => m.seq !== null)
    .map((m) => ({
      message_uid: m.messageUId,
      conversation_id: m.conversationId,
      conversation_type: m.conversationType,
      target_id: m.targetId,
      seq: m.seq,
      sender_id: m.senderId,
      need_read_receipt: m.needReadReceipt,
      sent_time: m.sentTime,
      directed_user_ids: m.directedUserIds ?? null,
      fixed_count: fixedMemberCount(m.conversationType, m.directedUserIds),
    }));
  if (rows.length === 0) return;
  await sql`/* prepared:receipt_messages */
    WITH m AS MATERIALIZED (
      SELECT * FROM json_to_recordset(${JSON.stringify(rows)}::json) AS t(
        message_uid text, conversation_id text, conversation_type smallint, target_id text, seq bigint, sender_id text,
        need_read_receipt boolean, sent_time bigint, directed_user_ids text[], fixed_count integer)
    ), heads AS (
      INSERT INTO receipt_conversations AS c (conversation_id, conversation_type, last_seq)
      SELECT conversation_id, min(conversation_type), max(seq) FROM m GROUP BY conversation_id ORDER BY conversation_id
      ON CONFLICT (conversation_id) DO UPDATE SET last_seq = greatest(c.last_seq, excluded.last_seq)
    )
    INSERT INTO receipt_messages (message_uid, conversation_id, conversation_type, target_id, seq, sender_id,
                                  need_read_receipt, sent_time, directed_user_ids, member_count)
    SELECT m.message_uid, m.conversation_id, m.conversation_type, m.target_id, m.seq, m.sender_id,
           m.need_read_receipt, m.sent_time, m.directed_user_ids,
           coalesce(m.fixed_count, greatest(0, coalesce(g.member_count, 0) - CASE WHEN EXISTS (
             SELECT 1 FROM group_members gm WHERE gm.group_id = m.target_id AND gm.user_id = m.sender_id AND gm.left_seq IS NULL)
             THEN 1 ELSE 0 END))
      FROM m LEFT JOIN receipt_groups g ON m.fixed_count IS NULL AND g.group_id = m.target_id
    ON CONFLICT DO NOTHING`.execute(trx);
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
