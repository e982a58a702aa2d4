import { ConversationType, EventData } from '@im/contracts';
import { Kysely, sql } from 'kysely';
import { isStored, messageRow, onMessageSent, StoredSent, storedView } from './message-events';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;

/**
 * A run of `message.sent` events applied as sets: five statements for the whole run instead of
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

async function applyRun(trx: Kysely<DB>, run: StoredSent[]): Promise<void> {
  if (run.length === 0) return;
  if (run.length === 1) return onMessageSent(trx, run[0]);
  await ensureDirectMembers(trx, run);
  const countedIndex = await upsertConversations(trx, run);
  await trx.insertInto('messages').values(run.map((m, i) => messageRow(m, countedIndex[i]))).execute();
  const counted = run.filter((m) => m.isCounted);
  if (counted.length === 0) return;
  const batch = sql`unnest(${counted.map((m) => m.conversationId)}::text[], ${counted.map((m) => m.senderId)}::text[], ${counted.map((m) => m.seq)}::bigint[]) AS b(c, u, s)`;
  // The sender's own messages are not unread for the sender (unless their position is past them).
  await sql`
    UPDATE conversation_members cm SET own_after_read = cm.own_after_read + x.n
      FROM (SELECT m.conversation_id, m.user_id, count(*) AS n
              FROM ${batch} JOIN conversation_members m ON m.conversation_id = b.c AND m.user_id = b.u AND m.read_seq < b.s
             GROUP BY m.conversation_id, m.user_id) x
     WHERE cm.conversation_id = x.conversation_id AND cm.user_id = x.user_id`.execute(trx);
  // A read position that arrived before the messages it covers: those are read already.
  await sql`
    UPDATE conversation_members cm SET read_counted = cm.read_counted + x.n
      FROM (SELECT m.conversation_id, m.user_id, count(*) AS n
              FROM ${batch} JOIN conversation_members m ON m.conversation_id = b.c AND m.read_seq >= b.s
             GROUP BY m.conversation_id, m.user_id) x
     WHERE cm.conversation_id = x.conversation_id AND cm.user_id = x.user_id`.execute(trx);
}

/** Private and system conversations get their member rows from their first message. */
async function ensureDirectMembers(trx: Kysely<DB>, run: Sent[]): Promise<void> {
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
  if (rows.size === 0) return;
  await trx.insertInto('conversation_members').values([...rows.values()]).onConflict((oc) => oc.doNothing()).execute();
}

/**
 * One upsert per conversation of the run, in conversation order (so two writers never
 * deadlock): the last message, time and seq, and the counted total grown by the run's counted
 * messages. Returns each message's counted index: the total just after it.
 */
async function upsertConversations(trx: Kysely<DB>, run: Sent[]): Promise<number[]> {
  const byConversation = new Map<string, Sent[]>();
  for (const m of run) byConversation.set(m.conversationId, [...(byConversation.get(m.conversationId) ?? []), m]);
  const ids = [...byConversation.keys()].sort();
  const last = ids.map((id) => byConversation.get(id)!.at(-1)!);
  const { rows } = await sql<{ conversation_id: string; counted_total: number }>`
    INSERT INTO conversations (conversation_id, conversation_type, last_message, last_seq, last_time, counted_total)
    SELECT * FROM unnest(${ids}::text[], ${last.map((m) => m.conversationType)}::smallint[], ${last.map((m) => JSON.stringify(storedView(m)))}::jsonb[],
                         ${last.map((m) => m.seq)}::bigint[], ${last.map((m) => m.sentTime)}::bigint[],
                         ${ids.map((id) => byConversation.get(id)!.filter((m) => m.isCounted).length)}::bigint[])
    ON CONFLICT (conversation_id) DO UPDATE SET
      last_message = excluded.last_message,
      last_time = greatest(conversations.last_time, excluded.last_time),
      last_seq = greatest(conversations.last_seq, excluded.last_seq),
      counted_total = conversations.counted_total + excluded.counted_total
    RETURNING conversation_id, counted_total`.execute(trx);
  const total = new Map(rows.map((r) => [r.conversation_id, Number(r.counted_total)]));
  // Walk backwards from each conversation's new total.
  const index = new Array<number>(run.length);
  for (let i = run.length - 1; i >= 0; i--) {
    const m = run[i];
    const t = total.get(m.conversationId)!;
    index[i] = t;
    if (m.isCounted) total.set(m.conversationId, t - 1);
  }
  return index;
}
