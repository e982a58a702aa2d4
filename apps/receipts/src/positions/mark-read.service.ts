import { actingUser, ConversationType, Errors, ReadPositionView, RpcParsed } from '@im/contracts';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { RECEIPTS_SETTINGS, ReceiptsSettings } from '../receipts.settings';
import { ReaderConversation, readerConversation } from '../view/receipt-messages';
import { lastVisibleMessage, loadPosition, lockReader, writeEvents } from './positions.store';
import { decide, movesTo, readTarget } from './read-position.decider';
import type { DB as ReceiptsDB } from '../db.generated';

type MarkRead = RpcParsed<'receipts', 'conversations.read'>;

const READABLE_TYPES: readonly number[] = [ConversationType.PRIVATE, ConversationType.GROUP, ConversationType.SYSTEM];

/**
 * Marking a conversation read: under the reader's lock, load their position, let the decider
 * decide, and write the row from its `conversation.read` (positions.store.ts). One row per reader
 * per conversation; nothing is written per message.
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
    // Refused before the lock: a seq past the last message (the decider says the same under it).
    const target = readTarget(body.seq, conv.lastSeq);
    return this.db.transaction().execute(async (trx) => {
      const readTime = this.clock.now().getTime();
      const view = { conversationType, targetId, readTime };
      await lockReader(trx, conv.conversationId, userId);
      const position = await loadPosition(trx, conv.conversationId, userId);
      const lastMessage = movesTo(position, target) ? await lastVisibleMessage(trx, conv.conversationId, target, userId) : null;
      const events = decide({ type: 'markRead', userId, conversation: conv, requestedSeq: body.seq, readTime, lastMessage }, position);
      const after = await writeEvents(trx, conv.conversationId, userId, position, events);
      return { ...view, readSeq: after.seq, moved: events.length > 0 };
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
