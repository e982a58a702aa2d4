import {
  AppError,
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
import { Kysely, Transaction } from 'kysely';
import { isGroupMember } from '../groups/groups.service';
import { MessageTypesService } from '../message-types/message-types.service';
import { missingUsers } from '../users/users.service';
import { advanceConversationHead, lockConversation } from './conversation-head';
import { newMessageUId } from './message-uid';
import {
  actingUser,
  assertMaySend,
  assertSendable,
  assertSupportedConversation,
  directedRecipients,
  initialExpansion,
  Mention,
  mentionOf,
  streamStart,
  StreamState,
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
    private readonly types: MessageTypesService,
  ) {}

  async send({ actor, idempotencyKey, body }: SendRequest): Promise<SendMessageResult> {
    const senderId = actingUser(actor);
    assertSupportedConversation(body.conversationType);
    assertMaySend(actor, body.conversationType, senderId, body.targetId);
    const type = await this.types.resolve(body.objectName);
    const content = validateContent(type, body.content);
    assertSendable(type);
    const stream = streamStart(body.objectName, content);
    const directed = directedRecipients(body.conversationType, senderId, body.directedUserIds);
    const expansion = initialExpansion(body.canIncludeExpansion, body.expansion);
    await this.assertAccess(body.conversationType, senderId, body.targetId);
    if (directed) await this.assertMembers(body.conversationType, body.targetId, directed);
    const mention = await this.narrowMention(body.targetId, mentionOf(body.conversationType, content, body.isMentioned), directed);

    return runOnce(this.db, `send:${senderId}`, idempotencyKey, async (trx) => {
      const now = this.clock.now();
      const convId = conversationId(body.conversationType, senderId, body.targetId);
      // First, before anything is written (runOnce claims the key after the work): see lockConversation.
      const head = await advanceConversationHead(trx, await lockConversation(trx, convId), type.isPersisted);
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
        ...(directed ? { directedUserIds: directed } : {}),
        ...(expansion ? { expansion } : {}),
      };
      if (data.seq !== null) await this.index(trx, data, stream);
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

  /** Every directed user must be in the conversation: a group member, or the private peer. */
  private async assertMembers(type: number, targetId: string, userIds: string[]): Promise<void> {
    const members = type === ConversationType.GROUP ? await this.membersAmong(targetId, userIds) : userIds.filter((id) => id === targetId);
    const outside = userIds.filter((id) => !members.includes(id));
    if (outside.length > 0) {
      throw new AppError('DIRECTED_USER_NOT_MEMBER', 422, 'every directed user must be in the conversation', { userIds: outside });
    }
  }

  private async membersAmong(groupId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db
      .selectFrom('group_members')
      .select('user_id')
      .where('group_id', '=', groupId)
      .where('user_id', 'in', userIds)
      .execute();
    return rows.map((r) => r.user_id);
  }

  /**
   * Mentions of users outside the group are dropped: they could never see the message. In a
   * directed message only its recipients can be mentioned, and @all means all of them.
   */
  private async narrowMention(groupId: string, mention: Mention | null, directed: string[] | undefined): Promise<Mention | null> {
    if (!mention) return null;
    if (directed) {
      const ids = mention.type === 1 ? directed : mention.userIds.filter((id) => directed.includes(id));
      return { type: 2, userIds: ids };
    }
    if (mention.type === 1 || mention.userIds.length === 0) return mention;
    return { type: 2, userIds: await this.membersAmong(groupId, mention.userIds) };
  }

  /** The write side's record of a stored message: what recall and streaming check and lock. */
  private async index(trx: Transaction<any>, m: EventData<'message.sent'>, stream: StreamState | null): Promise<void> {
    await trx
      .insertInto('message_index')
      .values({
        message_uid: m.messageUId,
        conversation_id: m.conversationId,
        conversation_type: m.conversationType,
        target_id: m.targetId,
        sender_id: m.senderId,
        seq: m.seq,
        object_name: m.objectName,
        sent_time: m.sentTime,
        directed_user_ids: m.directedUserIds ?? null,
        stream_seq: stream?.seq ?? null,
        stream_bytes: stream?.bytes ?? null,
        stream_complete: stream?.complete ?? null,
      })
      .execute();
  }
}
