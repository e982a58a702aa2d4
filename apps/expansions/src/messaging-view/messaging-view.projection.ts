import { EventData } from '@im/contracts';
import { BACKGROUND_LINGER_UNDER_LOAD_MS, defineProjection, isEventOf, runsOf, TypedEvent } from '@im/eventstore';
import { applyDirectoryEvent, DIRECTORY_EVENTS } from '@im/service-kit';
import { Kysely } from 'kysely';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;

const HANDLES = ['message.sent', 'message.recalled', ...DIRECTORY_EVENTS] as const;

/**
 * What this service knows of messaging: stored messages (their type, is the extensible flag set,
 * who may see it, was it recalled), group membership and profile names. The flag is fixed at send.
 */
export const messagingViewProjection = defineProjection({
  name: 'message_refs',
  sources: ['messaging'],
  tables: ['message_refs', 'group_members', 'profiles'],
  handles: HANDLES,
  apply,
  applyBatch: runsOf('message.sent', (trx, run) => onSent(trx, run), apply),
  // Read by commands only (a message not here yet is waited for by the read barrier).
  lingerUnderLoadMs: BACKGROUND_LINGER_UNDER_LOAD_MS,
});

async function apply(trx: Kysely<DB>, event: TypedEvent<(typeof HANDLES)[number]>): Promise<void> {
  if (isEventOf(DIRECTORY_EVENTS, event)) return applyDirectoryEvent(trx, event);
  switch (event.type) {
    case 'message.sent':
      return onSent(trx, [event.data]);
    case 'message.recalled':
      await trx.updateTable('message_refs').set({ recalled: true }).where('message_uid', '=', event.data.messageUId).execute();
      return;
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
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
