import { ConversationType, ReadersPage, ReceiptSummary, RpcParsed } from '@im/contracts';
import { DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { actingUser, assertOwnWithReceipts } from '../receipts/receipt.rules';
import { loadMessages, ReceiptMessage } from '../view/receipt-messages';
import { Counted } from './counting.rules';
import { countReaders, summary } from './receipt-counter';
import { storedCounts } from './receipt-flusher';
import { decodeCursor, page } from './readers.rules';

/** What a sender asks about their messages: the counts, and who has (not) read one. */
@Injectable()
export class ReceiptsQueries {
  constructor(@Inject(DB) private readonly db: Kysely<any>) {}

  async get({ actor, messageUIds }: RpcParsed<'receipts', 'receipts.get'>): Promise<{ receipts: ReceiptSummary[] }> {
    const userId = actingUser(actor);
    const uids = [...new Set(messageUIds)];
    const messages = assertOwnWithReceipts(userId, uids, await loadMessages(this.db, uids));
    return { receipts: await this.summaries(messages) };
  }

  /** History's variant: never refuses, answers for the caller's own messages that collect receipts. */
  async summariesOf({ actor, messageUIds }: RpcParsed<'receipts', 'receipts.summaries'>): Promise<{ receipts: ReceiptSummary[] }> {
    const userId = actingUser(actor);
    const found = await loadMessages(this.db, [...new Set(messageUIds)]);
    const mine = [...found.values()].filter((m) => m.senderId === userId && m.receiptsOn && !m.recalled);
    return { receipts: await this.summaries(mine) };
  }

  /** The counts last told to the sender; a message nobody has read yet is counted on the spot. */
  private async summaries(messages: ReceiptMessage[]): Promise<ReceiptSummary[]> {
    const stored = await storedCounts(this.db, messages.map((m) => m.messageUId));
    const missing = messages.filter((m) => !stored.has(m.messageUId));
    const counted: Map<string, Counted> = missing.length > 0 ? await countReaders(this.db, missing) : new Map();
    return messages.map((m) => summary(m, stored.get(m.messageUId) ?? counted.get(m.messageUId)!));
  }

  async readers({ actor, messageUId, query }: RpcParsed<'receipts', 'receipts.readers'>): Promise<ReadersPage> {
    const userId = actingUser(actor);
    const [m] = assertOwnWithReceipts(userId, [messageUId], await loadMessages(this.db, [messageUId]));
    const after = decodeCursor(query.cursor);
    const rows = await this.memberPage(m, after, query.filter === 'read', query.limit + 1);
    return page(
      rows.map((r) => ({ userId: r.user_id, ...(query.filter === 'read' ? { readAt: Number(r.receipt_at ?? r.reported_at) } : {}) })),
      query.limit,
    );
  }

  /**
   * The message's members after `after` in user id order, with how they read it. A group's are
   * the membership intervals covering its seq (the PK's order), so later joiners never appear.
   */
  private async memberPage(m: ReceiptMessage, after: string, read: boolean, limit: number) {
    const members =
      m.conversationType === ConversationType.GROUP && !m.directedUserIds
        ? sql`SELECT user_id FROM group_members
               WHERE group_id = ${m.targetId} AND joined_seq < ${m.seq} AND (left_seq IS NULL OR left_seq >= ${m.seq})
                 AND user_id <> ${m.senderId} AND user_id > ${after}`
        : sql`SELECT user_id FROM unnest(${m.directedUserIds ?? [m.targetId]}::text[]) AS u(user_id) WHERE user_id > ${after}`;
    const hasRead = sql`(coalesce(p.rpos, 0) >= ${m.seq} OR r.user_id IS NOT NULL)`;
    const { rows } = await sql<{ user_id: string; reported_at: number | null; receipt_at: number | null }>`
      SELECT mb.user_id, p.reported_at, r.read_at AS receipt_at
        FROM (${members}) AS mb
        LEFT JOIN read_positions p ON p.conversation_id = ${m.conversationId} AND p.user_id = mb.user_id
        LEFT JOIN message_receipts r ON r.message_uid = ${m.messageUId} AND r.user_id = mb.user_id
       WHERE ${read ? hasRead : sql`NOT ${hasRead}`}
       ORDER BY mb.user_id
       LIMIT ${limit}`.execute(this.db);
    return rows;
  }
}
