import { actingUser, ConversationType, ReadersPage, ReceiptSummary, RpcParsed } from '@im/contracts';
import { DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { assertOwnWithReceipts } from '../receipts/receipt.rules';
import { loadMessages, ReceiptMessage } from '../view/receipt-messages';
import { Counted } from './counting.rules';
import { countReaders, summary } from './receipt-counter';
import { storedCounts } from './receipt-flusher';
import { decodeCursor, page } from './readers.rules';
import type { DB as ReceiptsDB } from '../db.generated';

/** What a sender asks about their messages: the counts, and who has (not) read one. */
@Injectable()
export class ReceiptsQueries {
  constructor(@Inject(DB) private readonly db: Kysely<ReceiptsDB>) {}

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
    const read = query.filter === 'read';
    // The unread list only shrinks, so the last count told is an upper bound: at 0 nothing is
    // walked, and a first page stops once it has found that many.
    const unread = read ? Infinity : await this.unreadAtMost(m);
    if (unread === 0) return { members: [], nextCursor: null, isFinished: true };
    const rows = await this.memberPage(m, after, read, query.limit + 1, after === '' ? unread : Infinity);
    return page(
      rows.map((r) => ({ userId: r.user_id, ...(query.filter === 'read' ? { readAt: Number(r.receipt_at ?? r.reported_at) } : {}) })),
      query.limit,
    );
  }

  private async unreadAtMost(m: ReceiptMessage): Promise<number> {
    const stored = (await storedCounts(this.db, [m.messageUId])).get(m.messageUId);
    return (stored ?? (await countReaders(this.db, [m])).get(m.messageUId)!).unreadCount;
  }

  /**
   * The next members of the message after `after` in user id order that have (or have not) read
   * it. Members are walked in chunks in the index's order, each chunk joined with positions and
   * receipts by key, so a page costs about its own size when most match (a read list) and one
   * walk of the members when none do (an unread list after everyone read).
   */
  private async memberPage(m: ReceiptMessage, after: string, read: boolean, want: number, atMost: number): Promise<MemberRow[]> {
    const out: MemberRow[] = [];
    let cursor = after;
    for (let size = Math.max(2 * want, 100); ; size = Math.min(2 * size, MAX_CHUNK)) {
      const rows = await this.memberChunk(m, cursor, size);
      for (const r of rows) {
        if (r.has_read !== read) continue;
        out.push(r);
        if (out.length === want || out.length === atMost) return out;
      }
      if (rows.length < size) return out;
      cursor = rows[rows.length - 1].user_id;
    }
  }

  /** One chunk of members, ordered: a group's are the intervals covering its seq (the PK's order). */
  private async memberChunk(m: ReceiptMessage, after: string, size: number): Promise<MemberRow[]> {
    const members =
      m.conversationType === ConversationType.GROUP && !m.directedUserIds
        ? sql`SELECT user_id FROM group_members
               WHERE group_id = ${m.targetId} AND joined_seq < ${m.seq} AND (left_seq IS NULL OR left_seq >= ${m.seq})
                 AND user_id <> ${m.senderId} AND user_id > ${after}
               ORDER BY user_id LIMIT ${size}`
        : sql`SELECT user_id FROM unnest(${m.directedUserIds ?? [m.targetId]}::text[]) AS u(user_id)
               WHERE user_id > ${after} ORDER BY user_id LIMIT ${size}`;
    const { rows } = await sql<MemberRow>`
      WITH mb AS MATERIALIZED (${members})
      SELECT mb.user_id, p.reported_at, r.read_at AS receipt_at,
             (coalesce(p.rpos, 0) >= ${m.seq} OR r.user_id IS NOT NULL) AS has_read
        FROM mb
        LEFT JOIN read_positions p ON p.conversation_id = ${m.conversationId} AND p.user_id = mb.user_id
        LEFT JOIN message_receipts r ON r.message_uid = ${m.messageUId} AND r.user_id = mb.user_id
       ORDER BY mb.user_id`.execute(this.db);
    return rows;
  }
}

interface MemberRow {
  user_id: string;
  reported_at: number | null;
  receipt_at: number | null;
  has_read: boolean;
}

/** Members looked at per query, at most, while walking for a page. */
const MAX_CHUNK = 2000;
