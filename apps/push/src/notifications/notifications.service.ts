import { actingUser, conversationId, ConversationType, Errors, newEvent, NotificationView, RpcParsed, RpcReply, SUPPORTED_CONVERSATION_TYPES } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { DB as PushDB } from '../db.generated';

/** Mute per conversation and user: a muted conversation pushes only mentions. */
@Injectable()
export class NotificationsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<PushDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async update({ actor, conversationType, targetId, body }: RpcParsed<'push', 'notifications.update'>): Promise<NotificationView> {
    const userId = actingUser(actor);
    // Muting an ultra group is per channel, which this endpoint cannot name yet.
    if (!SUPPORTED_CONVERSATION_TYPES.includes(conversationType) || conversationType === ConversationType.ULTRA_GROUP) {
      throw Errors.unprocessable('CONVERSATION_TYPE_NOT_SUPPORTED', `conversation type ${conversationType} is not supported yet`);
    }
    if (!(await this.belongs(conversationType, userId, targetId))) throw Errors.notFound('conversation');
    // A system conversation is named by the account (the target, as the user sees it) and the user.
    const convId = conversationType === ConversationType.SYSTEM ? conversationId(conversationType, targetId, userId) : conversationId(conversationType, userId, targetId);
    const now = this.clock.now();
    const row = { conversation_type: conversationType, target_id: targetId, muted: body.muted, updated_at: now.getTime() };
    await this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('notification_settings').select('muted').where('user_id', '=', userId).where('conversation_id', '=', convId).forUpdate().executeTakeFirst();
      if ((before?.muted ?? false) === body.muted) return;
      await trx
        .insertInto('notification_settings')
        .values({ user_id: userId, conversation_id: convId, ...row })
        .onConflict((oc) => oc.columns(['user_id', 'conversation_id']).doUpdateSet(row))
        .execute();
      const data = { userId, conversationId: convId, conversationType, targetId, muted: body.muted, updatedAt: row.updated_at };
      await appendToStream(trx, `notification-${userId}/${convId}`, 'any', [newEvent('conversation.notification.updated', data)], now);
    });
    return { conversationType, targetId, muted: body.muted };
  }

  async muted({ actor }: RpcParsed<'push', 'notifications.muted'>): Promise<RpcReply<'push', 'notifications.muted'>> {
    const userId = actingUser(actor);
    const rows = await this.db.selectFrom('notification_settings').select(['conversation_type', 'target_id']).where('user_id', '=', userId).where('muted', '=', true).execute();
    return { conversations: rows.map((r) => ({ conversationType: r.conversation_type, targetId: r.target_id, muted: true })) };
  }

  /**
   * Group: a member (one 404 for "no such group" and "not yours"). Private and system: the
   * caller's own conversation with anyone but themselves, muted ahead of any message if need be;
   * whether the other id is a known user is never asked, so the answer never tells.
   */
  private async belongs(type: number, userId: string, targetId: string): Promise<boolean> {
    if (type === ConversationType.GROUP) {
      const m = await this.db.selectFrom('group_members').select('user_id').where('group_id', '=', targetId).where('user_id', '=', userId).executeTakeFirst();
      return m !== undefined;
    }
    return !(type === ConversationType.PRIVATE && userId === targetId);
  }
}
