import { actingUser, Errors, newEvent, ReadPositionView, RpcParsed } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { RECEIPTS_SETTINGS, ReceiptsSettings } from '../receipts.settings';
import { ReaderConversation, readerConversation } from '../view/receipt-messages';
import { advancePosition, currentPosition, lastVisibleMessage, lockReader, recordReportedMove } from './positions.store';
import { conversationRead, readTarget, reportedRange } from './read.rules';
import type { DB as ReceiptsDB } from '../db.generated';

type MarkRead = RpcParsed<'receipts', 'conversations.read'>;

const READABLE_TYPES: readonly number[] = [1, 3, 6];

/**
 * Marking a conversation read: one row per reader per conversation, moved forward in one SQL
 * statement, and one `conversation.read` event. Nothing is written per message.
 */
@Injectable()
export class MarkReadService {
  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECEIPTS_SETTINGS) private readonly settings: ReceiptsSettings,
  ) {}

  async markRead({ actor, conversationType, targetId, body }: MarkRead): Promise<ReadPositionView> {
    const userId = actingUser(actor);
    if (!READABLE_TYPES.includes(conversationType)) {
      throw Errors.unprocessable('CONVERSATION_TYPE_NOT_SUPPORTED', `conversation type ${conversationType} is not supported yet`);
    }
    const conv = await this.caughtUp(userId, conversationType, targetId, body.seq);
    const seq = readTarget(body.seq, conv.lastSeq);
    const { reported } = conv;
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const view = { conversationType, targetId, readTime: now.getTime() };
      await lockReader(trx, conv.conversationId, userId);
      const move = seq > 0 ? await advancePosition(trx, { conversationId: conv.conversationId, userId, seq, reported, now: now.getTime() }) : undefined;
      if (!move) return { ...view, readSeq: (await currentPosition(trx, conv.conversationId, userId)).seq, moved: false };
      const range = reportedRange(move);
      if (range) await recordReportedMove(trx, conv.conversationId, userId, range);
      const lastMessage = await lastVisibleMessage(trx, conv.conversationId, move.seq, userId);
      const data = conversationRead({ ...conv, userId, reported, readTime: now.getTime(), lastMessage }, move);
      await appendToStream(trx, `read-${conv.conversationId}-${userId}`, move.version - 1, [newEvent('conversation.read', data)], now);
      return { ...view, readSeq: move.seq, moved: true };
    });
  }

  /** A client may name a seq it was just sent before receipts' view of messaging has it: wait a moment. */
  private async caughtUp(userId: string, type: number, targetId: string, seq: number | undefined): Promise<ReaderConversation> {
    const deadline = Date.now() + this.settings.aheadWaitMs;
    for (;;) {
      const conv = await readerConversation(this.db, userId, type, targetId).catch((e) => {
        if (seq === undefined || Date.now() > deadline) throw e;
        return null;
      });
      if (conv && (seq === undefined || seq <= conv.lastSeq || Date.now() > deadline)) return conv;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
