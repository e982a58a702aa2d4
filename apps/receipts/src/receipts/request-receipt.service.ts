import { actingUser, Errors, EventData, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { recordChanges } from '../positions/positions.store';
import { loadMessages } from '../view/receipt-messages';
import type { DB as ReceiptsDB } from '../db.generated';

type Request = RpcParsed<'receipts', 'receipts.request'>;

/**
 * RC:RRReqMsg: the sender turns receipts on for a message already sent. Its members are still
 * those of when it was sent, and reads that already happened count at once.
 */
@Injectable()
export class RequestReceiptService {
  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Idempotent: asking again, or for a message sent with needReadReceipt, changes nothing. */
  async request({ actor, messageUId }: Request): Promise<RpcReply<'receipts', 'receipts.request'>> {
    const userId = actingUser(actor);
    const m = (await loadMessages(this.db, [messageUId])).get(messageUId);
    if (!m || m.recalled || m.senderId !== userId) throw Errors.notFound('message');
    if (m.receiptsOn) return { messageUId, needReadReceipt: true, requested: false };
    const requested = await this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const row = await trx
        .insertInto('receipt_requests')
        .values({ message_uid: messageUId, requested_at: now.getTime() })
        .onConflict((oc) => oc.doNothing())
        .returning('message_uid')
        .executeTakeFirst();
      if (!row) return false;
      // The flusher counts who has read it already and tells the sender.
      await recordChanges(trx, [{ conversationId: m.conversationId, from: m.seq - 1, to: m.seq }]);
      const data: EventData<'receipt.requested'> = {
        messageUId,
        conversationId: m.conversationId,
        conversationType: m.conversationType as EventData<'receipt.requested'>['conversationType'],
        targetId: m.targetId,
        senderId: m.senderId,
        requestTime: now.getTime(),
      };
      await appendToStream(trx, `receipt-request-${messageUId}`, 0, [newEvent('receipt.requested', data)], now);
      return true;
    });
    return { messageUId, needReadReceipt: true, requested };
  }
}
