import { channelOf, Errors, EventData, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { MESSAGING_SETTINGS, MessagingSettings } from '../messaging.settings';
import { advanceConversationHead, lockMessageForChange } from './conversation-head';
import { assertMayRecall } from './message.rules';
import type { DB as MessagingDB } from '../db.generated';

/**
 * Recall: the sender within the window, or the app backend (`isAdmin`) at any time. The message
 * row is locked, so of two racing recalls one wins and the other gets 409.
 */
@Injectable()
export class RecallMessageService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(MESSAGING_SETTINGS) private readonly settings: MessagingSettings,
  ) {}

  async recall({ actor, messageUId, body }: RpcParsed<'messaging', 'messages.recall'>): Promise<RpcReply<'messaging', 'messages.recall'>> {
    if (body.isAdmin && !actor.isServer) throw Errors.forbidden('isAdmin needs the server key');
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const locked = await lockMessageForChange(trx, messageUId);
      if (!locked) throw Errors.notFound('message');
      const { lock, message: m } = locked;
      const isAdmin = Boolean(actor.isServer && body.isAdmin);
      if (!isAdmin && actor.userId !== m.sender_id) throw Errors.notFound('message');
      if (m.recalled_at !== null) throw Errors.conflict('ALREADY_RECALLED', 'the message was already recalled', { recallTime: m.recalled_at });
      assertMayRecall(actor, body.isAdmin, { senderId: m.sender_id, sentTime: m.sent_time }, now.getTime(), this.settings.recallWindowMs);
      await trx.updateTable('message_index').set({ recalled_at: now.getTime() }).where('message_uid', '=', messageUId).execute();
      const head = await advanceConversationHead(trx, lock, false);
      const data: EventData<'message.recalled'> = {
        messageUId,
        conversationId: m.conversation_id,
        conversationType: m.conversation_type as EventData<'message.recalled'>['conversationType'],
        targetId: m.target_id,
        senderId: m.sender_id,
        seq: m.seq,
        objectName: m.object_name,
        operatorId: actor.userId,
        isAdmin,
        isDelete: body.isDelete ?? false,
        recallTime: now.getTime(),
        ...(body.pushContent !== undefined ? { pushContent: body.pushContent } : {}),
        ...(m.directed_user_ids ? { directedUserIds: m.directed_user_ids } : {}),
        ...(channelOf(m.conversation_id) !== undefined ? { channelId: channelOf(m.conversation_id) } : {}),
      };
      await appendToStream(trx, `conversation-${m.conversation_id}`, head.version - 1, [newEvent('message.recalled', data)], now);
      return { messageUId, recalled: true, isDelete: data.isDelete, recallTime: data.recallTime };
    });
  }
}
