import { EVENTS, MessageTypeDefinition, RpcParsed, SendMessageResult } from '@im/contracts';
import { asStreamConflict, assertEnvelopeFits, eventMetadataOf } from '@im/eventstore';
import { currentTraceparent } from '@im/observability';
import { Kysely, sql } from 'kysely';
import { randomUUID } from 'node:crypto';
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

/** A seq not known before the statement runs: wider than any real one, so the size check is safe. */
const SEQ_TO_PLACE = Number.MAX_SAFE_INTEGER;

/**
 * Writes accepted sends in one statement, whatever their number, so a batch is one round trip
 * and needs no transaction of its own (it is atomic; inside a caller's transaction it joins it):
 * the conversations' locks (first, before any write: see lockConversations, a materialized CTE
 * the heads' rows are joined with), their heads advanced by as many versions and seqs as the
 * batch takes, and, placed from the heads it returns, the events and the stored messages'
 * index rows. Within a conversation the sends keep the order they were submitted in.
 *
 * The decider decides each send before its place is known: its seq is filled in from the head
 * by the statement (each event and index row carries its offset from the batch's last seq), as
 * is its stream version.
 */
export async function writeSends(db: Kysely<DB>, sends: AcceptedSend[], now: Date): Promise<SendMessageResult[]> {
  const steps = new Map<string, { versions: number; seqs: number }>();
  for (const s of sends) {
    const step = steps.get(s.conversationId) ?? { versions: 0, seqs: 0 };
    step.versions += 1;
    if (s.type.isPersisted) step.seqs += 1;
    steps.set(s.conversationId, step);
  }
  // Each send's place relative to its conversation's head after the batch (0 = the last).
  const taken = new Map<string, { versions: number; seqs: number }>();
  const placed = sends.map((s) => {
    const step = steps.get(s.conversationId)!;
    const t = taken.get(s.conversationId) ?? { versions: 0, seqs: 0 };
    t.versions += 1;
    if (s.type.isPersisted) t.seqs += 1;
    taken.set(s.conversationId, t);
    const [event] = decide({ type: 'send', send: s, messageUId: newMessageUId(now.getTime()), seq: s.type.isPersisted ? SEQ_TO_PLACE : null }, null, { now: now.getTime() });
    if (event.type !== 'message.sent') throw new Error(`a send decided ${event.type}`);
    const streamId = `conversation-${s.conversationId}`;
    assertEnvelopeFits(streamId, event, now);
    return { send: s, event, streamId, versionOffset: t.versions - step.versions, seqOffset: s.type.isPersisted ? t.seqs - step.seqs : null };
  });
  const events = placed.map((p, ord) => ({
    ord,
    conversation_id: p.send.conversationId,
    event_id: randomUUID(),
    stream_id: p.streamId,
    version_offset: p.versionOffset,
    seq_offset: p.seqOffset,
    type: p.event.type,
    data_version: EVENTS[p.event.type].version,
    data: p.event.data,
    metadata: eventMetadataOf(p.send.traceparent ?? currentTraceparent()),
  }));
  const index = placed.flatMap((p) => {
    const record = evolve(null, p.event);
    return record ? [{ ...indexRow(record), seq_offset: p.seqOffset }] : [];
  });
  const ids = [...steps.keys()];
  let heads: Array<{ conversation_id: string; version: number; last_seq: number }>;
  try {
    ({ rows: heads } = await sql<{ conversation_id: string; version: number; last_seq: number }>`/* prepared:send_batch */
      WITH locked AS MATERIALIZED (${conversationLocks(ids)}),
      heads AS (
        INSERT INTO conversation_heads (conversation_id, version, last_seq)
        SELECT s.c, s.v, s.q
          FROM unnest(${ids}::text[], ${ids.map((id) => steps.get(id)!.versions)}::int[], ${ids.map((id) => steps.get(id)!.seqs)}::bigint[]) AS s(c, v, q)
          JOIN locked ON NOT locked.wrote_before
        ON CONFLICT (conversation_id) DO UPDATE
          SET version = conversation_heads.version + excluded.version, last_seq = conversation_heads.last_seq + excluded.last_seq
        RETURNING conversation_id, version, last_seq),
      appended AS (
        INSERT INTO events (event_id, stream_id, stream_version, type, data_version, data, metadata, occurred_at)
        SELECT e.event_id, e.stream_id, h.version + e.version_offset, e.type, e.data_version,
               CASE WHEN e.seq_offset IS NULL THEN e.data ELSE jsonb_set(e.data, '{seq}', to_jsonb(h.last_seq + e.seq_offset)) END,
               e.metadata, ${now}
          FROM json_to_recordset(${JSON.stringify(events)}::json) AS e(ord int, conversation_id text, event_id uuid, stream_id text,
                 version_offset int, seq_offset bigint, type text, data_version int, data jsonb, metadata jsonb)
          JOIN heads h ON h.conversation_id = e.conversation_id
         ORDER BY e.ord),
      indexed AS (
        INSERT INTO message_index (message_uid, conversation_id, conversation_type, target_id, sender_id, seq, object_name, sent_time,
                                   directed_user_ids, recalled_at, stream_seq, stream_bytes, stream_complete)
        SELECT i.message_uid, i.conversation_id, i.conversation_type, i.target_id, i.sender_id, h.last_seq + i.seq_offset, i.object_name,
               i.sent_time, i.directed_user_ids, i.recalled_at, i.stream_seq, i.stream_bytes, i.stream_complete
          FROM json_to_recordset(${JSON.stringify(index)}::json) AS i(message_uid text, conversation_id text, conversation_type smallint,
                 target_id text, sender_id text, seq_offset bigint, object_name text, sent_time bigint, directed_user_ids text[],
                 recalled_at bigint, stream_seq int, stream_bytes int, stream_complete boolean)
          JOIN heads h ON h.conversation_id = i.conversation_id)
      SELECT conversation_id, version, last_seq FROM heads`.execute(db));
  } catch (e) {
    throw asStreamConflict(e, placed.map((p) => p.streamId));
  }
  if (heads.length !== ids.length) throw lockAfterWrite(ids);
  const lastSeq = new Map(heads.map((h) => [h.conversation_id, Number(h.last_seq)]));
  return placed.map(({ event, send, seqOffset }) => ({
    messageUId: event.data.messageUId,
    seq: seqOffset === null ? null : lastSeq.get(send.conversationId)! + seqOffset,
    sentTime: event.data.sentTime,
  }));
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
