import { channelOf, ConversationPage, ConversationType, conversationId, ConversationView, Errors, HistoryPage, MessageView, RpcParsed } from '@im/contracts';
import { StoredView } from './message-events';
import { DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { isChatroomMember } from '../chatrooms/chatroom-members';
import { isGroupMember } from '../groups/groups.service';
import { assertChannelOnlyInUltraGroups, assertUltraGroupChannelAccess } from '../ultra-groups/ultra-group-access';
import { actingUser, assertSupportedConversation } from '../messages/message.rules';
import { decodeListCursor, encodeListCursor, pageOf } from './conversation-pages';
import type { DB as MessagingDB } from '../db.generated';

/**
 * A member's unread count in one conversation (`cm` joined to its `c`): counted messages after
 * the read position, minus their own, minus recalled ones, plus directed ones addressed to them.
 */
const UNREAD = sql`
  greatest(c.counted_total - cm.read_counted - cm.own_after_read, 0)
    - (SELECT count(*) FROM recalled_counted r
        WHERE r.conversation_id = cm.conversation_id AND r.seq > cm.read_seq AND r.sender_id <> cm.user_id)
    + (SELECT count(*) FROM directed_marks d
        WHERE d.conversation_id = cm.conversation_id AND d.user_id = cm.user_id AND d.seq > cm.read_seq)`;

/** How long `unreadTotals` waits for the projection to reach the message it was asked about. */
const CATCH_UP_MS = 1000;

/** When a conversation was last active for its member: the list's order and cursor. */
const ACTIVITY = sql`greatest(c.last_time, cm.last_directed_time)`;

/**
 * Reads of the conversations projection: the caller's list, one conversation's history, unread
 * totals. Pages are bounded by count and bytes (see conversation-pages.ts).
 */
@Injectable()
export class ConversationsQueries {
  constructor(@Inject(DB) private readonly db: Kysely<MessagingDB>) {}

  async list({ actor, query }: RpcParsed<'messaging', 'conversations.list'>): Promise<ConversationPage> {
    const userId = actingUser(actor);
    const after = decodeListCursor(query.cursor);
    const { rows } = await sql<{
      conversation_id: string;
      activity: string;
      conversation_type: number;
      target_id: string;
      last_message: StoredView | null;
      read_seq: number;
      unread: number;
      mentioned: number;
    }>`
      SELECT c.conversation_id, ${ACTIVITY} AS activity, cm.conversation_type, cm.target_id, cm.read_seq,
             CASE WHEN cm.last_directed_seq > coalesce((c.last_message->>'seq')::bigint, 0)
                  THEN cm.last_directed ELSE c.last_message END AS last_message,
             ${UNREAD} AS unread,
             (SELECT count(*) FROM mentions mn
               WHERE mn.conversation_id = cm.conversation_id AND mn.seq > cm.read_seq
                 AND (mn.user_id = ${userId} OR mn.user_id IS NULL) AND mn.sender_id <> ${userId}) AS mentioned
        FROM conversation_members cm
        JOIN conversations c ON c.conversation_id = cm.conversation_id
       WHERE cm.user_id = ${userId} AND (c.last_message IS NOT NULL OR cm.last_directed IS NOT NULL)
         ${after ? sql`AND (${ACTIVITY} < ${after.activity} OR (${ACTIVITY} = ${after.activity} AND c.conversation_id > ${after.conversationId}))` : sql``}
       ORDER BY ${ACTIVITY} DESC, c.conversation_id
       LIMIT ${query.limit + 1}`.execute(this.db);
    const views = rows.map((r): ConversationView => {
      // An ultra group's row is one channel of it.
      const channel = channelOf(r.conversation_id);
      const inChannel = channel === undefined ? {} : { channelId: channel };
      return {
        conversationType: r.conversation_type,
        targetId: r.target_id,
        ...inChannel,
        lastMessage: r.last_message ? { ...r.last_message, targetId: r.target_id, ...inChannel } : null,
        unreadCount: Math.max(0, Number(r.unread)),
        mentionedCount: Number(r.mentioned),
        readSeq: Number(r.read_seq),
        muted: false,
      };
    });
    const { items, more } = pageOf(views, query.limit);
    const last = rows[items.length - 1];
    return {
      conversations: items,
      nextCursor: more ? encodeListCursor({ activity: Number(last.activity), conversationId: last.conversation_id }) : null,
    };
  }

  /** Each user's unread count over all their conversations: the push badge. */
  async unreadTotals(req: RpcParsed<'messaging', 'conversations.unreadTotals'>): Promise<{ totals: Record<string, number> }> {
    if (!req.actor.isServer) throw Errors.forbidden('unread totals are for the server');
    if (req.after) await this.caughtUp(req.after.conversationId, req.after.seq);
    const { rows } = await sql<{ user_id: string; total: string }>`
      SELECT cm.user_id, sum(greatest(${UNREAD}, 0)) AS total
        FROM conversation_members cm
        JOIN conversations c ON c.conversation_id = cm.conversation_id
       WHERE cm.user_id = ANY(${req.userIds}::text[])
       GROUP BY cm.user_id`.execute(this.db);
    const totals: Record<string, number> = Object.fromEntries(req.userIds.map((u) => [u, 0]));
    for (const r of rows) totals[r.user_id] = Number(r.total);
    return { totals };
  }

  /** Waits (briefly, at most CATCH_UP_MS) until the projection has applied the conversation up to `seq`. */
  async caughtUp(conversationId: string, seq: number): Promise<void> {
    const deadline = Date.now() + CATCH_UP_MS;
    while (Date.now() < deadline) {
      const c = await this.db.selectFrom('conversations').select('last_seq').where('conversation_id', '=', conversationId).executeTakeFirst();
      if (c && c.last_seq >= seq) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async history(req: RpcParsed<'messaging', 'conversations.history'>): Promise<HistoryPage> {
    const userId = actingUser(req.actor);
    assertSupportedConversation(req.conversationType);
    assertChannelOnlyInUltraGroups(req.conversationType, req.query.channelId);
    const convId = await this.visibleConversation(req.conversationType, userId, req.targetId, req.query.channelId);
    const inChannel = req.conversationType === ConversationType.ULTRA_GROUP ? { channelId: channelOf(convId) } : {};
    const rows = await this.db
      .selectFrom('messages')
      .leftJoin('message_expansions', 'message_expansions.message_uid', 'messages.message_uid')
      .selectAll('messages')
      .select('message_expansions.expansion')
      .where('conversation_id', '=', convId)
      // A directed message is visible to its sender and its recipients only.
      .where((eb) => eb.or([eb('directed_user_ids', 'is', null), eb('sender_id', '=', userId), sql<boolean>`${userId} = ANY(directed_user_ids)`]))
      .$if(req.query.before !== undefined, (qb) => qb.where('seq', '<', req.query.before!))
      .orderBy('seq', 'desc')
      .limit(req.query.limit + 1)
      .execute();
    const views = rows.map(
      (r): MessageView => ({
        messageUId: r.message_uid,
        seq: r.seq,
        conversationType: r.conversation_type,
        targetId: req.targetId,
        senderId: r.sender_id,
        objectName: r.object_name,
        content: r.content as MessageView['content'], // jsonb: written from the event's content
        sentTime: r.sent_time,
        needReadReceipt: r.need_read_receipt,
        canIncludeExpansion: r.can_include_expansion,
        ...(r.directed_user_ids ? { directedUserIds: r.directed_user_ids } : {}),
        ...inChannel,
        ...(r.recalled ? { recalled: true } : {}),
        ...(r.can_include_expansion && !r.recalled ? { expansion: (r.expansion ?? {}) as MessageView['expansion'] } : {}),
      }),
    );
    const { items, more } = pageOf(views, req.query.limit);
    return { messages: items, hasMore: more, nextBefore: more ? items[items.length - 1].seq : null };
  }

  /**
   * The conversation id the caller may read. A group: one 404 for "no such group" and "not
   * yours". A private or system conversation is the caller's own whoever the other side is: with
   * an unknown id it is as empty as with a known stranger, so the answer never tells which ids exist.
   */
  private async visibleConversation(type: number, userId: string, targetId: string, channelId = ''): Promise<string> {
    if (type === ConversationType.ULTRA_GROUP) {
      await assertUltraGroupChannelAccess(this.db, targetId, userId, channelId, 'conversation');
      return conversationId(type, userId, targetId, channelId);
    }
    if (type === ConversationType.GROUP) {
      if (!(await isGroupMember(this.db, targetId, userId))) throw Errors.notFound('conversation');
      return conversationId(type, userId, targetId);
    }
    if (type === ConversationType.CHATROOM) {
      if (!(await isChatroomMember(this.db, targetId, userId))) throw Errors.notFound('conversation');
      return conversationId(type, userId, targetId);
    }
    // A system conversation is named by the account (the target, as the user sees it) and the user.
    return type === ConversationType.SYSTEM ? conversationId(type, targetId, userId) : conversationId(type, userId, targetId);
  }
}
