import { Selectable, sql, Transaction } from 'kysely';
import type { DB, MessageIndexTable } from '../db.generated';

/** Proof that the transaction holds the conversation's lock: the head can only move under it. */
export interface ConversationLock {
  readonly conversationId: string;
}

/**
 * The conversation lock, which must be a command's first step when it appends to a
 * conversation's stream. The relay publishes in transaction-id order, and Postgres gives a
 * transaction its id at its first write (a row lock included). If a command wrote anything
 * before queueing for the conversation (an idempotency key, a locked message row), a writer
 * that got its id later could still take the conversation first, and seq 6 would be published
 * before seq 5. An advisory lock takes no transaction id, so under it the first write hands out
 * ids in the order writers hold the conversation: publish order is seq order.
 *
 * It refuses to be taken after a write, so a command that gets the order wrong fails loudly
 * instead of reordering the stream now and then.
 */
export async function lockConversation(trx: Transaction<DB>, conversationId: string): Promise<ConversationLock> {
  await lockConversations(trx, [conversationId]);
  return { conversationId };
}

/**
 * The locks of several conversations (a batch of sends), in one statement and in one global
 * order, so two writers sharing conversations never deadlock. The order is that of the lock
 * keys themselves, not of the ids: two ids may hash alike, and only an order of keys is one
 * that every writer agrees on.
 */
export async function lockConversations(trx: Transaction<DB>, conversationIds: string[]): Promise<void> {
  const { rows } = await sql<{ wrote_before: boolean }>`${conversationLocks(conversationIds)}`.execute(trx);
  if (rows[0].wrote_before) throw lockAfterWrite(conversationIds);
}

/** The locks' query: one row, `wrote_before` (the transaction had written before them: refused). */
export function conversationLocks(conversationIds: string[]) {
  return sql<{ wrote_before: boolean }>`
    SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS wrote_before,
           (SELECT count(pg_advisory_xact_lock(hashtext(current_schema() || '.conversation'), k))
              FROM (SELECT DISTINCT hashtext(c) AS k FROM unnest(${conversationIds}::text[]) AS c ORDER BY k) AS sorted) AS locked`;
}

export function lockAfterWrite(conversationIds: string[]): Error {
  return new Error(`conversations ${conversationIds.join(', ')}: the conversation lock must come before the transaction's first write`);
}

/**
 * Takes the conversation's next event version (and next seq, for a stored message) by updating
 * its head row, under the conversation lock.
 */
export async function advanceConversationHead(
  trx: Transaction<DB>,
  { conversationId }: ConversationLock,
  stored: boolean,
): Promise<{ version: number; lastSeq: number }> {
  const step = stored ? 1 : 0;
  const { rows } = await sql<{ version: number; last_seq: number }>`
    INSERT INTO conversation_heads (conversation_id, version, last_seq) VALUES (${conversationId}, 1, ${step})
    ON CONFLICT (conversation_id) DO UPDATE
      SET version = conversation_heads.version + 1, last_seq = conversation_heads.last_seq + ${step}
    RETURNING version, last_seq`.execute(trx);
  return { version: rows[0].version, lastSeq: Number(rows[0].last_seq) };
}

/** The write side's record of a stored message. */
export type IndexedMessage = Selectable<MessageIndexTable>;

/**
 * Locks a stored message for a change that appends to its conversation: the conversation
 * first (its id never changes, so it is read without a lock), then the message row.
 */
export async function lockMessageForChange(
  trx: Transaction<DB>,
  messageUId: string,
): Promise<{ lock: ConversationLock; message: IndexedMessage } | undefined> {
  const row = await trx.selectFrom('message_index').select('conversation_id').where('message_uid', '=', messageUId).executeTakeFirst();
  if (!row) return undefined;
  const lock = await lockConversation(trx, row.conversation_id);
  const message = await trx.selectFrom('message_index').selectAll().where('message_uid', '=', messageUId).forUpdate().executeTakeFirst();
  return message ? { lock, message } : undefined;
}
