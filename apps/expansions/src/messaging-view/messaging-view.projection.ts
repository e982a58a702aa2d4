import { EventData, EventEnvelope } from '@im/contracts';
import { Projection, runsOf } from '@im/eventstore';
import { applyDirectoryEvent } from '@im/service-kit';
import { Kysely } from 'kysely';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;

/**
 * What this service knows of messaging: stored messages (their type, is the extensible flag set,
 * who may see it, was it recalled), group membership and profile names. The flag is fixed at send.
 */
export const messagingViewProjection: Projection = {
  name: 'message_refs',
  sources: ['messaging'],
  tables: ['message_refs', 'group_members', 'profiles'],
  apply,
  applyBatch: runsOf('message.sent', (trx, run) => onSent(trx, run), apply),
};

async function apply(trx: Kysely<DB>, event: EventEnvelope): Promise<void> {
  if (await applyDirectoryEvent(trx, event)) return;
  switch (event.type) {
    case 'message.sent':
      return onSent(trx, [event.data as Sent]);
    case 'message.recalled':
      await trx.updateTable('message_refs').set({ recalled: true }).where('message_uid', '=', (event.data as EventData<'message.recalled'>).messageUId).execute();
      return;
    default:
      return;
  }
}

async function onSent(trx: Kysely<DB>, sent: Sent[]): Promise<void> {
  const stored = sent.filter((m) => m.isPersisted);
  if (stored.length === 0) return;
  await trx
    .insertInto('message_refs')
    .values(
      stored.map((m) => ({
        message_uid: m.messageUId,
        conversation_id: m.conversationId,
        conversation_type: m.conversationType,
        target_id: m.targetId,
        sender_id: m.senderId,
        object_name: m.objectName,
        can_include_expansion: m.canIncludeExpansion,
        sent_time: m.sentTime,
        directed_user_ids: m.directedUserIds ?? null,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}
