import { EventData } from '@im/contracts';
import { Projection } from '@im/eventstore';

/** Every message the push rules will have to consider; delivery comes with the push issue. */
export const pushCandidatesProjection: Projection = {
  name: 'push_candidates',
  sources: ['messaging'],
  tables: ['push_candidates'],
  async apply(trx, event) {
    if (event.type !== 'message.sent') return;
    const m = event.data as EventData<'message.sent'>;
    if (!m.isPersisted || m.isStatus || m.disablePush) return;
    await trx
      .insertInto('push_candidates')
      .values({
        message_uid: m.messageUId,
        conversation_id: m.conversationId,
        conversation_type: m.conversationType,
        sender_id: m.senderId,
        object_name: m.objectName,
        sent_time: m.sentTime,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },
};
