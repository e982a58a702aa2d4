import { ConversationType, EventData } from '@im/contracts';
import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

type Read = EventData<'conversation.read'>;

/**
 * Read positions from the receipts service (`conversation.read`). They arrive on another stream
 * than the messages they cover, through another consumer, so each read first locks the
 * conversation's row: a message being applied for the same conversation either committed
 * before (and the counts below see it) or waits and then sees the new position.
 */
export async function onConversationRead(trx: Kysely<DB>, r: Read): Promise<void> {
  // Member row before conversation row: the order message.sent takes them in, so the two never deadlock.
  if (r.conversationType !== ConversationType.GROUP) await ensureMember(trx, r);
  await lockConversation(trx, r.conversationId, r.conversationType);
  const found = await applyRead(trx, r.conversationId, r.userId, r.seq);
  // A group member whose join is not applied yet: keep the position until it is.
  if (!found && r.conversationType === ConversationType.GROUP) await keepPending(trx, r);
}

/** Creates the conversation's row if need be, and holds it for this transaction. */
export async function lockConversation(trx: Kysely<DB>, conversationId: string, conversationType: number): Promise<void> {
  await sql`
    INSERT INTO conversations (conversation_id, conversation_type) VALUES (${conversationId}, ${conversationType})
    ON CONFLICT (conversation_id) DO NOTHING`.execute(trx);
  await sql`SELECT 1 FROM conversations WHERE conversation_id = ${conversationId} FOR UPDATE`.execute(trx);
}

/** A private or system reader's row, which their first message would otherwise create. */
async function ensureMember(trx: Kysely<DB>, r: Read): Promise<void> {
  await trx
    .insertInto('conversation_members')
    .values({ conversation_id: r.conversationId, user_id: r.userId, target_id: r.targetId, conversation_type: r.conversationType })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * Moves a member's position to `seq`, forward only, with what the unread formula needs there:
 * read_counted, the counted messages up to seq (the counter at the last message at or before it,
 * plus deleted recalls after that message, which left no row), and own_after_read, the member's
 * own counted messages after it (recalled ones included: the formula subtracts only others' recalls).
 * Returns whether the member has a row at all.
 */
export async function applyRead(trx: Kysely<DB>, conversationId: string, userId: string, seq: number): Promise<boolean> {
  const { rows } = await sql<{ user_id: string }>`
    WITH last AS (
      SELECT seq, counted_index FROM messages WHERE conversation_id = ${conversationId} AND seq <= ${seq} ORDER BY seq DESC LIMIT 1
    )
    UPDATE conversation_members cm SET
      read_seq = ${seq},
      read_counted = coalesce((SELECT counted_index FROM last), 0)
        + (SELECT count(*) FROM recalled_counted rc
            WHERE rc.conversation_id = cm.conversation_id AND rc.seq <= ${seq} AND rc.seq > coalesce((SELECT seq FROM last), 0)),
      own_after_read =
          (SELECT count(*) FROM messages m
            WHERE m.conversation_id = cm.conversation_id AND m.seq > ${seq} AND m.sender_id = cm.user_id
              AND m.is_counted AND m.directed_user_ids IS NULL AND NOT m.recalled)
        + (SELECT count(*) FROM recalled_counted rc
            WHERE rc.conversation_id = cm.conversation_id AND rc.seq > ${seq} AND rc.sender_id = cm.user_id)
    WHERE cm.conversation_id = ${conversationId} AND cm.user_id = ${userId} AND cm.read_seq < ${seq}
    RETURNING cm.user_id`.execute(trx);
  if (rows.length > 0) return true;
  const row = await trx
    .selectFrom('conversation_members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

async function keepPending(trx: Kysely<DB>, r: Read): Promise<void> {
  await sql`
    INSERT INTO pending_reads AS p (conversation_id, user_id, seq) VALUES (${r.conversationId}, ${r.userId}, ${r.seq})
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > p.seq`.execute(trx);
}

/** Members just added: positions that arrived before their join now apply (forward only). */
export async function applyPendingReads(trx: Kysely<DB>, conversationId: string, userIds: string[]): Promise<void> {
  const pending = await trx
    .deleteFrom('pending_reads')
    .where('conversation_id', '=', conversationId)
    .where('user_id', 'in', userIds)
    .returning(['user_id', 'seq'])
    .execute();
  for (const p of pending) await applyRead(trx, conversationId, p.user_id, p.seq);
}
