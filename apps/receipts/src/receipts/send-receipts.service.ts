import { actingUser, ConversationType, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { currentPosition, lockReader, recordChanges } from '../positions/positions.store';
import { reportsReads } from '../settings/settings.service';
import { inConversation, loadMessages, memberOfAny, ReceiptMessage } from '../view/receipt-messages';
import { assertReceiptable, groupSorted, isRecipient, receiptSent } from './receipt.rules';
import type { DB as ReceiptsDB } from '../db.generated';

type Send = RpcParsed<'receipts', 'receipts.send'>;

/**
 * Per-message receipts (RC:RRRspMsg): one row per reader per message, only for what the reader
 * explicitly sends. The whole call is checked before anything is written.
 */
@Injectable()
export class SendReceiptsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async send({ actor, body }: Send): Promise<RpcReply<'receipts', 'receipts.send'>> {
    const userId = actingUser(actor);
    const uids = [...new Set(body.messageUIds)];
    const found = await loadMessages(this.db, uids);
    const visible = await this.visibleTo(userId, [...found.values()]);
    const messages = assertReceiptable(userId, uids, found, (m) => visible.has(m.messageUId));
    const readTime = this.clock.now().getTime();
    // Receipts off: the reads of this user are not reported, so there is nothing to record.
    if (!(await reportsReads(this.db, userId))) return { messageUIds: [], readTime };
    const counted = await this.recipientsOnly(userId, messages);
    await this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      for (const [conversationId, group] of groupSorted(counted, (m) => m.conversationId)) {
        const inserted = await this.record(trx, conversationId, userId, group, readTime);
        if (inserted.length === 0) continue;
        const event = newEvent('receipt.sent', receiptSent(userId, inserted, readTime));
        await appendToStream(trx, `receipts-${conversationId}-${userId}`, 'any', [event], now);
      }
    });
    return { messageUIds: counted.map((m) => m.messageUId), readTime };
  }

  /** Which of the messages the caller may see now (a member of the conversation, a recipient): one check per conversation. */
  private async visibleTo(userId: string, messages: ReceiptMessage[]): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const [, group] of groupSorted(messages, (m) => m.conversationId)) {
      // Any message of a conversation names its parties (or its group).
      const member = await inConversation(this.db, group[0], userId);
      for (const m of group) if (member && isRecipient(m, userId)) seen.add(m.messageUId);
    }
    return seen;
  }

  /**
   * A group message counts the members it was sent to: someone who joined later may send a
   * receipt for an old message (they can see it), but is not one of its readers.
   */
  private async recipientsOnly(userId: string, messages: ReceiptMessage[]): Promise<ReceiptMessage[]> {
    const out: ReceiptMessage[] = [];
    for (const [, group] of groupSorted(messages, (m) => m.conversationId)) {
      const shared = group.filter((m) => m.conversationType === ConversationType.GROUP && !m.directedUserIds);
      const member = shared.length > 0 ? await memberOfAny(this.db, shared[0].targetId, userId, shared.map((m) => m.seq)) : new Set<number>();
      out.push(...group.filter((m) => !shared.includes(m) || member.has(m.seq)));
    }
    return out;
  }

  /**
   * Inserts the receipts not yet recorded. Those for messages the reader's reported position has
   * not reached count on their own (uncovered) until it does; the others add nothing to counts.
   */
  private async record(trx: Transaction<ReceiptsDB>, conversationId: string, userId: string, messages: ReceiptMessage[], readTime: number): Promise<ReceiptMessage[]> {
    await lockReader(trx, conversationId, userId);
    const { rpos } = await currentPosition(trx, conversationId, userId);
    const rows = await trx
      .insertInto('message_receipts')
      .values(messages.map((m) => ({ message_uid: m.messageUId, user_id: userId, conversation_id: conversationId, seq: m.seq, read_at: readTime })))
      .onConflict((oc) => oc.doNothing())
      .returning('message_uid')
      .execute();
    const fresh = new Set(rows.map((r) => r.message_uid));
    const inserted = messages.filter((m) => fresh.has(m.messageUId));
    const uncovered = inserted.filter((m) => m.seq > rpos);
    if (uncovered.length > 0) {
      await trx
        .insertInto('uncovered_receipts')
        .values(uncovered.map((m) => ({ message_uid: m.messageUId, user_id: userId, conversation_id: conversationId, seq: m.seq })))
        .execute();
    }
    await recordChanges(trx, uncovered.map((m) => ({ conversationId, from: m.seq - 1, to: m.seq })));
    return inserted;
  }
}
