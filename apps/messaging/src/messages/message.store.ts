import { appendToStream } from '@im/eventstore';
import { Transaction } from 'kysely';
import type { DB } from '../db.generated';
import { advanceConversationHead, IndexedMessage, lockMessageForChange } from './conversation-head';
import { decide, evolve, MessageCommand, MessageEvent, MessageRecord, STREAM_OBJECT_NAME } from './message.decider';

/**
 * A change to a stored message (a recall, a stream chunk): lock its conversation, then its row
 * (lockMessageForChange), load its record, let the decider decide, then write the row from the
 * state after the events and append them at the conversation's next version. Of two racing
 * changes one wins and the other is decided against what the first wrote.
 */
export async function changeMessage(trx: Transaction<DB>, messageUId: string, command: MessageCommand, now: Date): Promise<MessageEvent[]> {
  const locked = await lockMessageForChange(trx, messageUId);
  const before = locked ? recordOf(locked.message) : null;
  const events = decide(command, before, { now: now.getTime() });
  if (!locked || !before || events.length === 0) return events;
  const after = events.reduce(evolve, before)!;
  const stream = {
    stream_seq: after.stream?.seq ?? null,
    stream_bytes: after.stream?.bytes ?? null,
    stream_complete: after.stream?.complete ?? null,
  };
  await trx
    .updateTable('message_index')
    .set({ recalled_at: after.recalledAt, ...stream })
    .where('message_uid', '=', messageUId)
    .execute();
  // Each of these commands decides one event: the head moves one version.
  const head = await advanceConversationHead(trx, locked.lock, false);
  await appendToStream(trx, `conversation-${before.conversationId}`, head.version - 1, events, now);
  return events;
}

/** The record of an index row; a stream written before its columns existed starts at chunk 1. */
function recordOf(r: IndexedMessage): MessageRecord {
  const isStream = r.object_name === STREAM_OBJECT_NAME;
  return {
    messageUId: r.message_uid,
    conversationId: r.conversation_id,
    conversationType: r.conversation_type,
    targetId: r.target_id,
    senderId: r.sender_id,
    seq: Number(r.seq),
    objectName: r.object_name,
    sentTime: Number(r.sent_time),
    directedUserIds: r.directed_user_ids,
    recalledAt: r.recalled_at === null ? null : Number(r.recalled_at),
    stream: isStream ? { seq: r.stream_seq ?? 1, bytes: r.stream_bytes ?? 0, complete: r.stream_complete ?? false } : null,
  };
}
