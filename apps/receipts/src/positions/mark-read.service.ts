import { actingUser, ConversationType, Errors, ReadPositionView, RpcParsed } from '@im/contracts';
import { GroupCommit } from '@im/eventstore';
import { currentTraceparent } from '@im/observability';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { RECEIPTS_SETTINGS, ReceiptsSettings } from '../receipts.settings';
import { ReaderConversation, readerConversation } from '../view/receipt-messages';
import { lastVisibleMessages, loadPositions, lockReaders, PositionMove, readerKey, writeMoves } from './positions.store';
import { decide, evolve, movesTo, ReadPosition, readTarget } from './read-position.decider';
import type { DB as ReceiptsDB } from '../db.generated';

type MarkRead = RpcParsed<'receipts', 'conversations.read'>;

const READABLE_TYPES: readonly number[] = [ConversationType.PRIVATE, ConversationType.GROUP, ConversationType.SYSTEM];

/** A read, checked and ready to be decided under its reader's lock. */
interface ReadCommand {
  userId: string;
  conversation: ReaderConversation;
  requestedSeq: number | undefined;
  target: number;
  traceparent: string | undefined;
}

/**
 * Marking a conversation read: under the reader's lock, load their position, let the decider
 * decide, and write the row from its `conversation.read` (positions.store.ts). One row per reader
 * per conversation; nothing is written per message. Concurrent reads share one transaction
 * (group commit): the bench's 10,000 readers of one group cost a commit per batch, not per read.
 */
@Injectable()
export class MarkReadService {
  private readonly commits: GroupCommit<ReadCommand, ReadPositionView>;

  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECEIPTS_SETTINGS) private readonly settings: ReceiptsSettings,
  ) {
    this.commits = new GroupCommit({
      db,
      write: (trx, reads) => this.write(trx, reads),
      alone: (read) => db.transaction().execute(async (trx) => (await this.write(trx, [read]))[0]),
    });
  }

  async markRead({ actor, conversationType, targetId, body }: MarkRead): Promise<ReadPositionView> {
    const userId = actingUser(actor);
    if (!READABLE_TYPES.includes(conversationType)) {
      throw Errors.unprocessable('CONVERSATION_TYPE_NOT_SUPPORTED', `conversation type ${conversationType} is not supported yet`);
    }
    const conversation = await this.caughtUp(userId, conversationType, targetId, body.seq);
    // Refused before the lock: a seq past the last message (the decider says the same under it).
    const target = readTarget(body.seq, conversation.lastSeq);
    return this.commits.submit({ userId, conversation, requestedSeq: body.seq, target, traceparent: currentTraceparent() });
  }

  /**
   * A batch of reads: every reader's lock and position in one statement each, the last messages
   * the moving reads reach in one, then each read decided in order (a reader's second read in
   * the batch sees their first), and what follows written for all at once.
   */
  private async write(trx: Transaction<ReceiptsDB>, reads: ReadCommand[]): Promise<ReadPositionView[]> {
    const keys = reads.map((r) => ({ conversationId: r.conversation.conversationId, userId: r.userId }));
    await lockReaders(trx, keys);
    const loaded = await loadPositions(trx, keys);
    // Asked for every read that may move (a superset when a reader reads twice in one batch).
    const asks = reads.map((r, i) => ({ ...keys[i], seq: r.target, i })).filter((a) => movesTo(loaded.get(readerKey(a))!, a.seq));
    const found = await lastVisibleMessages(trx, asks);
    const lastMessages = new Map(asks.map((a, j) => [a.i, found[j]]));
    const readTime = this.clock.now().getTime();
    const moves = new Map<string, PositionMove>();
    const views = reads.map((r, i) => {
      const key = readerKey(keys[i]);
      const move = moves.get(key) ?? { ...keys[i], before: loaded.get(key)!, after: loaded.get(key)!, events: [] };
      moves.set(key, move);
      const position: ReadPosition = move.after;
      const command = { type: 'markRead' as const, userId: r.userId, conversation: r.conversation, requestedSeq: r.requestedSeq, readTime, lastMessage: lastMessages.get(i) ?? null };
      const events = decide(command, position);
      move.after = events.reduce(evolve, position);
      move.events.push(...events.map((event) => ({ event, traceparent: r.traceparent })));
      const view = { conversationType: r.conversation.conversationType, targetId: r.conversation.targetId, readTime };
      return { ...view, readSeq: move.after.seq, moved: events.length > 0 };
    });
    await writeMoves(trx, [...moves.values()], new Date(readTime));
    return views;
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
