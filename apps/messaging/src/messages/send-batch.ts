import { ConversationType, DEFAULT_CHANNEL, EventData, MessageTypeDefinition, newEvent, RpcParsed, SendMessageResult } from '@im/contracts';
import { appendToStreams } from '@im/eventstore';
import { sql, Transaction } from 'kysely';
import { lockConversations } from './conversation-head';
import { newMessageUId } from './message-uid';
import { Mention, StreamState } from './message.rules';
import type { DB } from '../db.generated';

type SendBody = RpcParsed<'messaging', 'messages.send'>['body'];

/** A send that passed every rule and access check: what is left is to give it its place and write it. */
export interface AcceptedSend {
  conversationId: string;
  senderId: string;
  body: SendBody;
  type: MessageTypeDefinition;
  content: Record<string, unknown>;
  stream: StreamState | null;
  directed: string[] | undefined;
  expansion: Record<string, string> | undefined;
  mention: Mention | null;
  /** The trace of the request that sent it, for its event's envelope. */
  traceparent?: string;
}

/** The `message.sent` event of an accepted send, once its place (seq) and time are known. */
export function messageSentEvent(s: AcceptedSend, seq: number | null, now: Date): EventData<'message.sent'> {
  const { body } = s;
  return {
    messageUId: newMessageUId(now.getTime()),
    conversationId: s.conversationId,
    conversationType: body.conversationType,
    targetId: body.targetId,
    senderId: s.senderId,
    objectName: body.objectName,
    content: s.content,
    seq,
    sentTime: now.getTime(),
    isPersisted: s.type.isPersisted,
    // A chatroom's messages are never counted (nor listed, nor pushed).
    isCounted: s.type.isCounted && body.conversationType !== ConversationType.CHATROOM,
    isStatus: s.type.isStatus,
    mention: s.mention,
    pushContent: body.pushContent,
    pushTitle: body.pushTitle,
    ...(body.pushData !== undefined ? { pushData: body.pushData } : {}),
    disablePush: body.disablePush ?? false,
    disablePushTitle: body.disablePushTitle ?? false,
    needReadReceipt: body.needReadReceipt ?? false,
    canIncludeExpansion: body.canIncludeExpansion ?? false,
    ...(s.directed ? { directedUserIds: s.directed } : {}),
    ...(s.expansion ? { expansion: s.expansion } : {}),
    ...(body.conversationType === ConversationType.ULTRA_GROUP ? { channelId: body.channelId ?? DEFAULT_CHANNEL } : {}),
  };
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
  await lockConversations(trx, [...steps.keys()]);
  const heads = await advanceHeads(trx, steps);

  const events = sends.map((s) => {
    const head = heads.get(s.conversationId)!;
    head.version += 1;
    const seq = s.type.isPersisted ? ++head.seq : null;
    return { send: s, version: head.version, data: messageSentEvent(s, seq, now) };
  });
  const indexRows = events.flatMap(({ data, send }) => (data.seq === null ? [] : [indexRow({ ...data, seq: data.seq }, send.stream)]));
  if (indexRows.length > 0) await trx.insertInto('message_index').values(indexRows).execute();
  await appendToStreams(
    trx,
    events.map((e) => ({ streamId: `conversation-${e.data.conversationId}`, version: e.version, event: newEvent('message.sent', e.data), traceparent: e.send.traceparent })),
    now,
  );
  return events.map(({ data }) => ({ messageUId: data.messageUId, seq: data.seq, sentTime: data.sentTime }));
}

/** Advances each head by its step; returns each head as it was before (the batch's base). */
async function advanceHeads(
  trx: Transaction<DB>,
  steps: Map<string, { versions: number; seqs: number }>,
): Promise<Map<string, { version: number; seq: number }>> {
  const ids = [...steps.keys()];
  const { rows } = await sql<{ conversation_id: string; version: number; last_seq: number }>`
    INSERT INTO conversation_heads (conversation_id, version, last_seq)
    SELECT * FROM unnest(${ids}::text[], ${ids.map((id) => steps.get(id)!.versions)}::int[], ${ids.map((id) => steps.get(id)!.seqs)}::bigint[])
    ON CONFLICT (conversation_id) DO UPDATE
      SET version = conversation_heads.version + excluded.version, last_seq = conversation_heads.last_seq + excluded.last_seq
    RETURNING conversation_id, version, last_seq`.execute(trx);
  return new Map(
    rows.map((r) => {
      const step = steps.get(r.conversation_id)!;
      return [r.conversation_id, { version: r.version - step.versions, seq: Number(r.last_seq) - step.seqs }];
    }),
  );
}

/** The write side's record of a stored message: what recall and streaming check and lock. */
export function indexRow(m: EventData<'message.sent'> & { seq: number }, stream: StreamState | null) {
  return {
    message_uid: m.messageUId,
    conversation_id: m.conversationId,
    conversation_type: m.conversationType,
    target_id: m.targetId,
    sender_id: m.senderId,
    seq: m.seq,
    object_name: m.objectName,
    sent_time: m.sentTime,
    directed_user_ids: m.directedUserIds ?? null,
    stream_seq: stream?.seq ?? null,
    stream_bytes: stream?.bytes ?? null,
    stream_complete: stream?.complete ?? null,
  };
}
