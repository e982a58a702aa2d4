import { EventData } from '@im/contracts';
import { Projection } from '@im/eventstore';

/** Stored messages by conversation and seq: what a read position reaches, and who sent it. */
export const receiptMessagesProjection: Projection = {
  name: 'receipt_messages',
  sources: ['messaging'],
  tables: ['receipt_messages'],
  async apply(trx, event) {
    if (event.type !== 'message.sent') return;
    const m = event.data as EventData<'message.sent'>;
    if (m.seq === null) return;
    await trx
      .insertInto('receipt_messages')
      .values({
        message_uid: m.messageUId,
        conversation_id: m.conversationId,
        conversation_type: m.conversationType,
        seq: m.seq,
        sender_id: m.senderId,
        need_read_receipt: m.needReadReceipt,
        sent_time: m.sentTime,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  },
};
