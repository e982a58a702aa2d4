import { MessageTypeDefinition, RpcParsed, SendMessageResult } from '@im/contracts';
import { appendToStreams } from '@im/eventstore';
import { sql, Transaction } from 'kysely';
import type { DB } from '../db.generated';
import { conversationLocks, lockAfterWrite } from './conversation-head';
import { newMessageUId } from './message-uid';
import { decide, evolve, MessageRecord, StreamState } from './message.decider';
import { Mention } from './message.rules';

type SendBody = RpcParsed<'messaging', 'messages.send'>['body'];

/** A send that passed every rule and access check: what is left is to give it its place and write it. */
export interface AcceptedSend {
  conversationId: string;
  senderId: string;
  body: SendBody;
  type: MessageTypeDefinition;
  content: Record<string, unknown>;
  /** The first chunk of a stream, checked at acceptance (the record's stream follows from the event). */
  stream: StreamState | null;
  directed: string[] | undefined;
  expansion: Record<string, string> | undefined;
  mention: Mention | null;
  /** The trace of the request that sent it, for its event's envelope. */
  traceparent?: string;
}

/**
 * Writes accepted sends in one transaction, in four statements whatever their number: the
 * conversations' locks (first, before any write: see lockConversation), their heads advanced
 * by as many versions and seqs as the batch takes, the stored messages' index rows, the events.
 * Within a conversation the sends keep the order they were submitted in.
 */
export async function writeSends(trx: Transaction<DB>, sends: AcceptedSend[], now: Date): Promise<SendMessageResult[]> {
  const steps = new Map<string, { versions: number; seqs: number }>();
  for (const s of sends) {
    const step = steps.get(s.conversationId) ?? { versions: 0, seqs: 0 };
    step.versions += 1;
    if (s.type.isPersisted) step.seqs += 1;
    steps.set(s.conversationId, step);
  }
  const heads = await lockAndAdvanceHeads(trx, steps);

  // The decider decides each send (its event, from its place); the rows and events go set-based.
  const events = sends.map((s) => {
    const head = heads.get(s.conversationId)!;
    head.version += 1;
    const seq = s.type.isPersisted ? ++head.seq : null;
    const [event] = decide({ type: 'send', send: s, messageUId: newMessageUId(now.getTime()), seq }, null, { now: now.getTime() });
    if (event.type !== 'message.sent') throw new Error(`a send decided ${event.type}`);
    return { version: head.version, event, data: event.data, traceparent: s.traceparent };
  });
  const records = events.flatMap((e) => evolve(null, e.event) ?? []);
  // The index rows go in the events' statement: one round trip for both.
  await appendToStreams(
    trx,
    events.map(({ data, version, event, traceparent }) => {
      return { streamId: `conversation-${data.conversationId}`, version, event, traceparent };
    }),
    now,
    records.length > 0 ? (db) => db.insertInto('message_index').values(records.map(indexRow)) : undefined,
  );
  return events.map(({ data }) => ({ messageUId: data.messageUId, seq: data.seq, sentTime: data.sentTime }));
}

/**
 * Takes the conversations' locks (as lockConversations does: first, in lock-key order, refused
 * after a write) and advances each head by its step, in one statement: the locks are a
 * materialized CTE the insert's rows are joined with, so all of them are held before the first
 * head is written. Returns each head as it was before (the batch's base).
 */
async function lockAndAdvanceHeads(
  trx: Transaction<DB>,
  steps: Map<string, { versions: number; seqs: number }>,
): Promise<Map<string, { version: number; seq: number }>> {
  const ids = [...steps.keys()];
  const { rows } = await sql<{ conversation_id: string; version: number; last_seq: number }>`
    WITH locked AS MATERIALIZED (${conversationLocks(ids)})
    INSERT INTO conversation_heads (conversation_id, version, last_seq)
    SELECT s.c, s.v, s.q
      FROM unnest(${ids}::text[], ${ids.map((id) => steps.get(id)!.versions)}::int[], ${ids.map((id) => steps.get(id)!.seqs)}::bigint[]) AS s(c, v, q)
      JOIN locked ON NOT locked.wrote_before
    ON CONFLICT (conversation_id) DO UPDATE
      SET version = conversation_heads.version + excluded.version, last_seq = conversation_heads.last_seq + excluded.last_seq
    RETURNING conversation_id, version, last_seq`.execute(trx);
  if (rows.length !== ids.length) throw lockAfterWrite(ids);
  return new Map(
    rows.map((r) => {
      const step = steps.get(r.conversation_id)!;
      return [r.conversation_id, { version: r.version - step.versions, seq: Number(r.last_seq) - step.seqs }];
    }),
  );
}

/** The `message_index` row of a record: every column from the state. */
export function indexRow(m: MessageRecord) {
  return {
    message_uid: m.messageUId,
    conversation_id: m.conversationId,
    conversation_type: m.conversationType,
    target_id: m.targetId,
    sender_id: m.senderId,
    seq: m.seq,
    object_name: m.objectName,
    sent_time: m.sentTime,
    directed_user_ids: m.directedUserIds,
    recalled_at: m.recalledAt,
    stream_seq: m.stream?.seq ?? null,
    stream_bytes: m.stream?.bytes ?? null,
    stream_complete: m.stream?.complete ?? null,
  };
}
