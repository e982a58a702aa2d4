import { ConversationType, conversationId, ConversationView, Errors, MessageView, RpcParsed } from '@im/contracts';
import { StoredView } from './message-events';
import { DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import { isGroupMember } from '../groups/groups.service';
import { missingUsers } from '../users/users.service';
import { actingUser, assertSupportedConversation } from '../messages/message.rules';

/** Reads of the conversations projection: the caller's list, and one conversation's history. */
@Injectable()
export class ConversationsQueries {
  constructor(@Inject(DB) private readonly db: Kysely<any>) {}

  async list({ actor, query }: RpcParsed<'messaging', 'conversations.list'>): Promise<{ conversations: ConversationView[] }> {
    const userId = actingUser(actor);
    const { rows } = await sql<{
      conversation_type: number;
      target_id: string;
      last_message: StoredView | null;
      read_seq: number;
      unread: number;
      mentioned: number;
    }>`
      SELECT cm.conversation_type, cm.target_id, cm.read_seq,
             CASE WHEN cm.last_directed_seq > coalesce((c.last_message->>'seq')::bigint, 0)
                  THEN cm.last_directed ELSE c.last_message END AS last_message,
             greatest(c.counted_total - cm.read_counted - cm.own_after_read, 0)
               - (SELECT count(*) FROM recalled_counted r
                   WHERE r.conversation_id = cm.conversation_id AND r.seq > cm.read_seq AND r.sender_id <> ${userId})
               + (SELECT count(*) FROM directed_marks d
                   WHERE d.conversation_id = cm.conversation_id AND d.user_id = ${userId} AND d.seq > cm.read_seq) AS unread,
             (SELECT count(*) FROM mentions mn
               WHERE mn.conversation_id = cm.conversation_id AND mn.seq > cm.read_seq
                 AND (mn.user_id = ${userId} OR mn.user_id IS NULL) AND mn.sender_id <> ${userId}) AS mentioned
        FROM conversation_members cm
        JOIN conversations c ON c.conversation_id = cm.conversation_id
       WHERE cm.user_id = ${userId} AND (c.last_message IS NOT NULL OR cm.last_directed IS NOT NULL)
       ORDER BY greatest(c.last_time, cm.last_directed_time) DESC, c.conversation_id
       LIMIT ${query.limit}`.execute(this.db);
    return {
      conversations: rows.map((r) => ({
        conversationType: r.conversation_type,
        targetId: r.target_id,
        lastMessage: r.last_message ? { ...r.last_message, targetId: r.target_id } : null,
        unreadCount: Math.max(0, Number(r.unread)),
        mentionedCount: Number(r.mentioned),
        readSeq: Number(r.read_seq),
        muted: false,
      })),
    };
  }

  async history(req: RpcParsed<'messaging', 'conversations.history'>): Promise<{ messages: MessageView[] }> {
    const userId = actingUser(req.actor);
    assertSupportedConversation(req.conversationType);
    const convId = await this.visibleConversation(req.conversationType, userId, req.targetId);
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
      .limit(req.query.limit)
      .execute();
    return {
      messages: rows.map((r) => ({
        messageUId: r.message_uid,
        seq: Number(r.seq),
        conversationType: r.conversation_type,
        targetId: req.targetId,
        senderId: r.sender_id,
        objectName: r.object_name,
        content: r.content,
        sentTime: Number(r.sent_time),
        needReadReceipt: r.need_read_receipt,
        canIncludeExpansion: r.can_include_expansion,
        ...(r.directed_user_ids ? { directedUserIds: r.directed_user_ids } : {}),
        ...(r.recalled ? { recalled: true } : {}),
        ...(r.can_include_expansion && !r.recalled ? { expansion: r.expansion ?? {} } : {}),
      })),
    };
  }

  /** The conversation id the caller may read, or one 404 for "no such thing" and "not yours". */
  private async visibleConversation(type: number, userId: string, targetId: string): Promise<string> {
    if (type === ConversationType.GROUP) {
      if (!(await isGroupMember(this.db, targetId, userId))) throw Errors.notFound('conversation');
      return conversationId(type, userId, targetId);
    }
    if ((await missingUsers(this.db, [userId, targetId])).length > 0) throw Errors.notFound('conversation');
    // A system conversation is named by the account (the target, as the user sees it) and the user.
    return type === ConversationType.SYSTEM ? conversationId(type, targetId, userId) : conversationId(type, userId, targetId);
  }
}
