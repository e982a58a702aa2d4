import { EventData } from '@im/contracts';
import { Projection } from '@im/eventstore';

/**
 * The extensible flag is fixed at send: this service learns it from `message.sent` and later
 * refuses expansions on messages that were not sent with `canIncludeExpansion`.
 */
export const messageRefsProjection: Projection = {
  name: 'message_refs',
  sources: ['messaging'],
  tables: ['message_refs'],
  async apply(trx, event) {
    if (event.type !== 'message.sent') return;
    const m = event.data as EventData<'message.sent'>;
    if (!m.isPersisted) return;
    await trx
      .insertInto('message_refs')
      .values({
        message_uid: m.messageUId,
        conversation_id: m.conversationId,
        conversation_type: m.conversationType,
        sender_id: m.senderId,
        can_include_expansion: m.canIncludeExpansion,
        sent_time: m.sentTime,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },
};
