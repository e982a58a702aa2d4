import { actingUser, ConversationType, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStreams, GroupCommit, PlacedEvent } from '@im/eventstore';
import { currentTraceparent } from '@im/observability';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { lockReaders, readerKey, recordChanges, reportedPositions } from '../positions/positions.store';
import { reportsReads } from '../settings/settings.service';
import { inConversation, loadMessages, memberOfAny, ReceiptMessage } from '../view/receipt-messages';
import { assertReceiptable, groupSorted, isRecipient, receiptSent } from './receipt.rules';
import type { DB as ReceiptsDB } from '../db.generated';

type Send = RpcParsed<'receipts', 'receipts.send'>;

/** One call's receipts, checked: the messages it counts for, in its conversations. */
interface ReceiptCommand {
  userId: string;
  messages: ReceiptMessage[];
  readTime: number;
  traceparent: string | undefined;
}

/**
 * Per-message receipts (RC:RRRspMsg): one row per reader per message, only for what the reader
 * explicitly sends. The whole call is checked before anything is written; concurrent calls
 * share one transaction (group commit), written set-based.
 */
@Injectable()
export class SendReceiptsService {
  private readonly commits: GroupCommit<ReceiptCommand, void>;

  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.commits = new GroupCommit({
      db,
      write: (trx, calls) => this.record(trx, calls),
      alone: (call) => db.transaction().execute(async (trx) => (await this.record(trx, [call]))[0]),
    });
  }

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
    if (counted.length > 0) await this.commits.submit({ userId, messages: counted, readTime, traceparent: currentTraceparent() });
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
   * Inserts the receipts not yet recorded, for every call of the batch at once, under the
   * readers' locks. Those for messages the reader's reported position has not reached count on
   * their own (uncovered) until it does; the others add nothing to counts. Each call appends one
   * `receipt.sent` per conversation for the receipts it newly recorded.
   */
  private async record(trx: Transaction<ReceiptsDB>, calls: ReceiptCommand[]): Promise<void[]> {
    const keys = calls.flatMap((c) => c.messages.map((m) => ({ conversationId: m.conversationId, userId: c.userId })));
    await lockReaders(trx, keys);
    const rpos = await reportedPositions(trx, keys);
    // A receipt sent twice in one batch is new only for the first call that sent it.
    const rows = new Map<string, { call: number; m: ReceiptMessage; userId: string; readTime: number }>();
    calls.forEach((c, call) => {
      for (const m of c.messages) {
        const key = `${m.messageUId}\u0000${c.userId}`;
        if (!rows.has(key)) rows.set(key, { call, m, userId: c.userId, readTime: c.readTime });
      }
    });
    const all = [...rows.values()];
    const { rows: inserted } = await sql<{ message_uid: string; user_id: string }>`
      INSERT INTO message_receipts (message_uid, user_id, conversation_id, seq, read_at)
      SELECT * FROM unnest(${all.map((r) => r.m.messageUId)}::text[], ${all.map((r) => r.userId)}::text[], ${all.map((r) => r.m.conversationId)}::text[],
                           ${all.map((r) => r.m.seq)}::bigint[], ${all.map((r) => r.readTime)}::bigint[])
      ON CONFLICT DO NOTHING
      RETURNING message_uid, user_id`.execute(trx);
    const fresh = inserted.map((r) => rows.get(`${r.message_uid}\u0000${r.user_id}`)!);
    const uncovered = fresh.filter((r) => r.m.seq > (rpos.get(readerKey({ conversationId: r.m.conversationId, userId: r.userId })) ?? 0));
    if (uncovered.length > 0) {
      await sql`
        INSERT INTO uncovered_receipts (message_uid, user_id, conversation_id, seq)
        SELECT * FROM unnest(${uncovered.map((r) => r.m.messageUId)}::text[], ${uncovered.map((r) => r.userId)}::text[],
                             ${uncovered.map((r) => r.m.conversationId)}::text[], ${uncovered.map((r) => r.m.seq)}::bigint[])`.execute(trx);
    }
    await recordChanges(trx, uncovered.map((r) => ({ conversationId: r.m.conversationId, from: r.m.seq - 1, to: r.m.seq })));
    await this.appendSent(trx, calls, fresh);
    return calls.map(() => undefined);
  }

  /** One `receipt.sent` per call and conversation, on the reader's stream of it (which only its lock's holder appends to). */
  private async appendSent(trx: Transaction<ReceiptsDB>, calls: ReceiptCommand[], fresh: Array<{ call: number; m: ReceiptMessage }>): Promise<void> {
    if (fresh.length === 0) return;
    const byCall = new Map<string, { call: number; streamId: string; messages: ReceiptMessage[] }>();
    for (const r of fresh) {
      const streamId = `receipts-${r.m.conversationId}-${calls[r.call].userId}`;
      const key = `${r.call}\u0000${streamId}`;
      const entry = byCall.get(key) ?? { call: r.call, streamId, messages: [] };
      entry.messages.push(r.m);
      byCall.set(key, entry);
    }
    const entries = [...byCall.values()].sort((a, b) => a.call - b.call);
    const versions = await streamVersions(trx, [...new Set(entries.map((e) => e.streamId))]);
    const placed: PlacedEvent[] = entries.map((e) => {
      const version = (versions.get(e.streamId) ?? 0) + 1;
      versions.set(e.streamId, version);
      // In the call's order of messages, as RC:RRRspMsg lists them.
      const order = new Map(calls[e.call].messages.map((m, i) => [m.messageUId, i]));
      const messages = e.messages.sort((a, b) => order.get(a.messageUId)! - order.get(b.messageUId)!);
      const event = newEvent('receipt.sent', receiptSent(calls[e.call].userId, messages, calls[e.call].readTime));
      return { streamId: e.streamId, version, event, traceparent: calls[e.call].traceparent };
    });
    await appendToStreams(trx, placed, this.clock.now());
  }
}

/** The current version of each stream (0 for none): one index probe each. */
async function streamVersions(trx: Transaction<ReceiptsDB>, streamIds: string[]): Promise<Map<string, number>> {
  const { rows } = await sql<{ stream_id: string; v: number }>`
    SELECT s.stream_id, (SELECT max(stream_version) FROM events e WHERE e.stream_id = s.stream_id)::int AS v
      FROM unnest(${streamIds}::text[]) AS s(stream_id)`.execute(trx);
  return new Map(rows.map((r) => [r.stream_id, r.v ?? 0]));
}
