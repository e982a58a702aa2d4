import { ConversationType, EventData } from '@im/contracts';
import { Kysely, sql } from 'kysely';
import { isStored, messageRow, onMessageSent, StoredSent, storedView } from './message-events';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;

/**
 * A run of `message.sent` events applied as sets: two statements for the whole run instead of
 * five per message (the conversations projection's cost under load). Only plain messages go
 * this way; a directed message or one with a mention is applied on its own, in its place, as
 * before. The result is the same as applying the events one by one, in order: within a
 * conversation the events arrive in seq order, and none of the statements reads what another
 * of them writes for the same message.
 */
export async function onMessagesSent(trx: Kysely<DB>, events: Sent[]): Promise<void> {
  let run: StoredSent[] = [];
  for (const m of events) {
    if (!isStored(m)) continue;
    if (m.directedUserIds || m.mention) {
      await applyRun(trx, run);
      run = [];
      await onMessageSent(trx, m);
    } else {
      run.push(m);
    }
  }
  await applyRun(trx, run);
}

/**
 * A run in two statements: (1) the direct conversations' member rows, the conversations'
 * upserts and the messages, as data-modifying CTEs of one insert (each message's counted index
 * is its conversation's new total less the counted messages after it in the run); (2) the
 * members' counters, which must see member rows (1) created.
 */
async function applyRun(trx: Kysely<DB>, run: StoredSent[]): Promise<void> {
  if (run.length === 0) return;
  if (run.length === 1) return onMessageSent(trx, run[0]);
  const members = directMembers(run);
  const conversations = conversationSteps(run);
  const messages = run.map((m, i) => ({ ...messageRow(m, 0), content: m.content, counted_after: conversations.countedAfter[i] }));
  await sql`/* prepared:conversations_run */
    WITH members AS (
      INSERT INTO conversation_members (conversation_id, user_id, target_id, conversation_type)
      SELECT * FROM unnest(${members.map((r) => r.conversation_id)}::text[], ${members.map((r) => r.user_id)}::text[],
                           ${members.map((r) => r.target_id)}::text[], ${members.map((r) => r.conversation_type)}::smallint[])
      ON CONFLICT DO NOTHING),
    conv AS (
      INSERT INTO conversations (conversation_id, conversation_type, last_message, last_seq, last_time, counted_total)
      SELECT * FROM unnest(${conversations.ids}::text[], ${conversations.last.map((m) => m.conversationType)}::smallint[],
                           ${conversations.last.map((m) => JSON.stringify(storedView(m)))}::jsonb[],
                           ${conversations.last.map((m) => m.seq)}::bigint[], ${conversations.last.map((m) => m.sentTime)}::bigint[],
                           ${conversations.counted}::bigint[])
      ON CONFLICT (conversation_id) DO UPDATE SET
        last_message = excluded.last_message,
        last_time = greatest(conversations.last_time, excluded.last_time),
        last_seq = greatest(conversations.last_seq, excluded.last_seq),
        counted_total = conversations.counted_total + excluded.counted_total
      RETURNING conversation_id, counted_total)
    INSERT INTO messages (conversation_id, seq, message_uid, conversation_type, sender_id, object_name, content, sent_time,
                          need_read_receipt, can_include_expansion, counted_index, is_counted)
    SELECT r.conversation_id, r.seq, r.message_uid, r.conversation_type, r.sender_id, r.object_name, r.content, r.sent_time,
           r.need_read_receipt, r.can_include_expansion, conv.counted_total - r.counted_after, r.is_counted
      FROM json_to_recordset(${JSON.stringify(messages)}::json) AS r(
             conversation_id text, seq bigint, message_uid text, conversation_type smallint, sender_id text, object_name text,
             content jsonb, sent_time bigint, need_read_receipt boolean, can_include_expansion boolean, counted_after bigint, is_counted boolean)
      JOIN conv ON conv.conversation_id = r.conversation_id`.execute(trx);
  const counted = run.filter((m) => m.isCounted);
  if (counted.length === 0) return;
  const batch = sql`unnest(${counted.map((m) => m.conversationId)}::text[], ${counted.map((m) => m.senderId)}::text[], ${counted.map((m) => m.seq)}::bigint[]) AS b(c, u, s)`;
  // The sender's own messages are not unread for the sender (unless their position is past
  // them); a read position that arrived before the messages it covers: those are read already.
  // One update of both counters (a row may need both). Each message looks up its member rows
  // on its own (LATERAL ... OFFSET 0: an index probe per message, never a scan of a group's
  // members; without statistics the planner would hash-join a 10,000-member group in full).
  await sql`/* prepared:conversation_counters */
    UPDATE conversation_members cm SET own_after_read = cm.own_after_read + x.own, read_counted = cm.read_counted + x.read
      FROM (SELECT c, u, sum(own) AS own, sum(read) AS read FROM (
              SELECT b.c, b.u, count(*) AS own, 0 AS read
                FROM ${batch}
                CROSS JOIN LATERAL (SELECT 1 FROM conversation_members m WHERE m.conversation_id = b.c AND m.user_id = b.u AND m.read_seq < b.s OFFSET 0) m
               GROUP BY b.c, b.u
              UNION ALL
              SELECT b.c, m.user_id, 0, count(*)
                FROM ${batch}
                CROSS JOIN LATERAL (SELECT m.user_id FROM conversation_members m WHERE m.conversation_id = b.c AND m.read_seq >= b.s OFFSET 0) m
               GROUP BY b.c, m.user_id) t
             GROUP BY c, u) x
     WHERE cm.conversation_id = x.c AND cm.user_id = x.u`.execute(trx);
}

/** Private and system conversations get their member rows from their first message. */
function directMembers(run: Sent[]): Array<{ conversation_id: string; user_id: string; target_id: string; conversation_type: number }> {
  const rows = new Map<string, { conversation_id: string; user_id: string; target_id: string; conversation_type: number }>();
  const add = (m: Sent, user_id: string, target_id: string) =>
    rows.set(`${m.conversationId}\u0000${user_id}`, { conversation_id: m.conversationId, user_id, target_id, conversation_type: m.conversationType });
  for (const m of run) {
    if (m.conversationType === ConversationType.PRIVATE) {
      add(m, m.senderId, m.targetId);
      add(m, m.targetId, m.senderId);
    } else if (m.conversationType === ConversationType.SYSTEM) {
      add(m, m.targetId, m.senderId);
    }
  }
  return [...rows.values()];
}

/**
 * The run's conversations in conversation order (so two writers never deadlock), each with its
 * last message and its counted messages; and for each message, the counted messages after it
 * in its conversation (its counted index is the conversation's new total less those).
 */
function conversationSteps(run: StoredSent[]): { ids: string[]; last: StoredSent[]; counted: number[]; countedAfter: number[] } {
  const byConversation = new Map<string, StoredSent[]>();
  for (const m of run) byConversation.set(m.conversationId, [...(byConversation.get(m.conversationId) ?? []), m]);
  const ids = [...byConversation.keys()].sort();
  const after = new Map<string, number>();
  const countedAfter = new Array<number>(run.length);
  for (let i = run.length - 1; i >= 0; i--) {
    const m = run[i];
    const n = after.get(m.conversationId) ?? 0;
    countedAfter[i] = n;
    if (m.isCounted) after.set(m.conversationId, n + 1);
  }
  return {
    ids,
    last: ids.map((id) => byConversation.get(id)!.at(-1)!),
    counted: ids.map((id) => byConversation.get(id)!.filter((m) => m.isCounted).length),
    countedAfter,
  };
}
