import { sql, Transaction } from 'kysely';

/**
 * Takes the conversation's next event version (and next seq, for a stored message) by updating
 * its head row: the row lock serialises writers of one conversation, and nothing else.
 */
export async function advanceConversationHead(
  trx: Transaction<any>,
  conversationId: string,
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

/** The write side's record of a stored message, locked for the change at hand. */
export interface IndexedMessage {
  message_uid: string;
  conversation_id: string;
  conversation_type: number;
  target_id: string;
  sender_id: string;
  seq: number;
  object_name: string;
  sent_time: number;
  directed_user_ids: string[] | null;
  recalled_at: number | null;
  stream_seq: number | null;
  stream_bytes: number | null;
  stream_complete: boolean | null;
}

export async function lockIndexedMessage(trx: Transaction<any>, messageUId: string): Promise<IndexedMessage | undefined> {
  const row = await trx.selectFrom('message_index').selectAll().where('message_uid', '=', messageUId).forUpdate().executeTakeFirst();
  return row as IndexedMessage | undefined;
}
