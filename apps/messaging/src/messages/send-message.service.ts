import {
  BUILT_IN_MESSAGE_TYPES,
  ConversationType,
  conversationId,
  Errors,
  EventData,
  newEvent,
  RpcParsed,
  SendMessageResult,
} from '@im/contracts';
import { appendToStream, runOnce } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql, Transaction } from 'kysely';
import { isGroupMember } from '../groups/groups.service';
import { missingUsers } from '../users/users.service';
import { newMessageUId } from './message-uid';
import {
  actingUser,
  assertMaySend,
  assertSupportedConversation,
  Mention,
  mentionOf,
  unknownMessageType,
  validateContent,
} from './message.rules';

type SendRequest = RpcParsed<'messaging', 'messages.send'>;

/**
 * Accepting a message: check the rules and the sender's access, then in one transaction take
 * the conversation's next version (and seq, if stored) and append `message.sent`. The cost is
 * the same in a group of 3 or of 10,000: nothing is written per member.
 */
@Injectable()
export class SendMessageService {
  constructor(
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async send({ actor, idempotencyKey, body }: SendRequest): Promise<SendMessageResult> {
    const senderId = actingUser(actor);
    assertSupportedConversation(body.conversationType);
    assertMaySend(actor, body.conversationType, senderId, body.targetId);
    const type = BUILT_IN_MESSAGE_TYPES.get(body.objectName);
    if (!type) throw unknownMessageType(body.objectName);
    const content = validateContent(type, body.content);
    const mention = await this.narrowMention(body.targetId, mentionOf(body.conversationType, content, body.isMentioned));
    await this.assertAccess(body.conversationType, senderId, body.targetId);

    return runOnce(this.db, `send:${senderId}`, idempotencyKey, async (trx) => {
      const now = this.clock.now();
      const convId = conversationId(body.conversationType, senderId, body.targetId);
      const head = await this.advanceHead(trx, convId, type.isPersisted);
      const data: EventData<'message.sent'> = {
        messageUId: newMessageUId(now.getTime()),
        conversationId: convId,
        conversationType: body.conversationType,
        targetId: body.targetId,
        senderId,
        objectName: body.objectName,
        content,
        seq: type.isPersisted ? head.lastSeq : null,
        sentTime: now.getTime(),
        isPersisted: type.isPersisted,
        isCounted: type.isCounted,
        isStatus: type.isStatus,
        mention,
        pushContent: body.pushContent,
        pushTitle: body.pushTitle,
        disablePush: body.disablePush ?? false,
        disablePushTitle: body.disablePushTitle ?? false,
        needReadReceipt: body.needReadReceipt ?? false,
        canIncludeExpansion: body.canIncludeExpansion ?? false,
      };
      await appendToStream(trx, `conversation-${convId}`, head.version - 1, [newEvent('message.sent', data)], now);
      return { messageUId: data.messageUId, seq: data.seq, sentTime: data.sentTime };
    });
  }

  /** Strangers get the same 404 whether or not the group exists. */
  private async assertAccess(type: number, senderId: string, targetId: string): Promise<void> {
    if (type === ConversationType.GROUP) {
      if (!(await isGroupMember(this.db, targetId, senderId))) throw Errors.notFound('group');
      return;
    }
    const missing = await missingUsers(this.db, [senderId, targetId]);
    if (missing.length > 0) throw Errors.notFound('user');
  }

  /** Mentions of users outside the group are dropped: they could never see the message. */
  private async narrowMention(groupId: string, mention: Mention | null): Promise<Mention | null> {
    if (!mention || mention.type === 1 || mention.userIds.length === 0) return mention;
    const rows = await this.db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', 'in', mention.userIds)
      .execute();
    return { type: 2, userIds: rows.map((r) => r.user_id) };
  }

  private async advanceHead(trx: Transaction<any>, convId: string, stored: boolean): Promise<{ version: number; lastSeq: number }> {
    const step = stored ? 1 : 0;
    const { rows } = await sql<{ version: number; last_seq: number }>`
      INSERT INTO conversation_heads (conversation_id, version, last_seq) VALUES (${convId}, 1, ${step})
      ON CONFLICT (conversation_id) DO UPDATE
        SET version = conversation_heads.version + 1, last_seq = conversation_heads.last_seq + ${step}
      RETURNING version, last_seq`.execute(trx);
    return { version: rows[0].version, lastSeq: Number(rows[0].last_seq) };
  }
}
