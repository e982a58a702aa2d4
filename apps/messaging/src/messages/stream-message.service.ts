import { Errors, EventData, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { advanceConversationHead, lockMessageForChange } from './conversation-head';
import { actingUser, nextStreamState, STREAM_OBJECT_NAME } from './message.rules';
import type { DB as MessagingDB } from '../db.generated';

/**
 * Appends a chunk to a streaming message. The message row is locked, so of two clients racing
 * to append the same seq exactly one wins; the other learns the seq now expected.
 */
@Injectable()
export class StreamMessageService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async append({ actor, messageUId, body }: RpcParsed<'messaging', 'messages.stream'>): Promise<RpcReply<'messaging', 'messages.stream'>> {
    const senderId = actingUser(actor);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const locked = await lockMessageForChange(trx, messageUId);
      if (!locked || locked.message.sender_id !== senderId) throw Errors.notFound('message');
      const { lock, message: m } = locked;
      if (m.object_name !== STREAM_OBJECT_NAME) throw Errors.unprocessable('NOT_A_STREAM', `only ${STREAM_OBJECT_NAME} messages take chunks`);
      if (m.recalled_at !== null) throw Errors.conflict('MESSAGE_RECALLED', 'the message was recalled');
      const state = nextStreamState({ seq: m.stream_seq ?? 1, bytes: m.stream_bytes ?? 0, complete: m.stream_complete ?? false }, body);
      await trx
        .updateTable('message_index')
        .set({ stream_seq: state.seq, stream_bytes: state.bytes, stream_complete: state.complete })
        .where('message_uid', '=', messageUId)
        .execute();
      const head = await advanceConversationHead(trx, lock, false);
      const data: EventData<'message.stream.appended'> = {
        messageUId,
        conversationId: m.conversation_id,
        conversationType: m.conversation_type as EventData<'message.stream.appended'>['conversationType'],
        targetId: m.target_id,
        senderId,
        messageSeq: m.seq,
        seq: state.seq,
        content: body.content,
        complete: state.complete,
        ...(body.completeReason !== undefined ? { completeReason: body.completeReason } : {}),
        ...(m.directed_user_ids ? { directedUserIds: m.directed_user_ids } : {}),
      };
      await appendToStream(trx, `conversation-${m.conversation_id}`, head.version - 1, [newEvent('message.stream.appended', data)], now);
      return { messageUId, seq: state.seq, complete: state.complete };
    });
  }
}
