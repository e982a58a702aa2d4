import {
  AppError,
  ConversationType,
  conversationId,
  Errors,
  MessageTypeDefinition,
  RpcParsed,
  SendMessageResult,
} from '@im/contracts';
import { GroupCommit, runOnce } from '@im/eventstore';
import { currentTraceparent } from '@im/observability';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { isChatroomMember } from '../chatrooms/chatroom-members';
import { BeforeSendGate } from '../callbacks/before-send.gate';
import { isGroupMember } from '../groups/groups.service';
import { assertChannelOnlyInUltraGroups, assertUltraGroupChannelAccess, ultraGroupMembersAmong } from '../ultra-groups/ultra-group-access';
import { MessageTypesService } from '../message-types/message-types.service';
import { ExistingUsers } from '../users/existing-users';
import { AcceptedSend, writeSends } from './send-batch';
import {
  actingUser,
  assertMaySend,
  assertNoPacketKeys,
  assertSendable,
  assertSupportedConversation,
  directedRecipients,
  initialExpansion,
  Mention,
  mentionOf,
  validateContent,
} from './message.rules';
import { streamStart } from './message.decider';
import type { DB as MessagingDB } from '../db.generated';

type SendRequest = RpcParsed<'messaging', 'messages.send'>;

/**
 * Accepting a message: check the rules and the sender's access, then in one transaction take
 * the conversation's next version (and seq, if stored) and append `message.sent`, together with
 * whatever other sends arrived meanwhile (writeSends). The cost is the same in a group of 3 or
 * of 10,000: nothing is written per member.
 */
@Injectable()
export class SendMessageService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly types: MessageTypesService,
    private readonly beforeSend: BeforeSendGate,
  ) {
    this.users = new ExistingUsers(db);
    // writeSends is one statement: a batch is one round trip, with no transaction around it.
    this.commits = new GroupCommit({ db, writeStatement: (db, sends) => writeSends(db, sends, clock.now()), alone: (send) => this.writeAlone(send) });
  }

  /** Concurrent sends share one transaction (see GroupCommit): under load, one commit carries many. */
  private readonly commits: GroupCommit<AcceptedSend, SendMessageResult, MessagingDB>;
  private readonly users: ExistingUsers;

  async send({ actor, idempotencyKey, body, sentFor }: SendRequest): Promise<SendMessageResult> {
    const senderId = actingUser(actor);
    assertSupportedConversation(body.conversationType);
    assertChannelOnlyInUltraGroups(body.conversationType, body.channelId);
    assertMaySend(actor, body.conversationType, senderId, body.targetId);
    const type = await this.types.resolve(body.objectName);
    const original = validateContent(type, body.content);
    assertSendable(type);
    streamStart(body.objectName, original);
    const directed = directedRecipients(body.conversationType, senderId, body.directedUserIds);
    const expansion = initialExpansion(body.canIncludeExpansion, body.expansion, actor.isServer);
    assertNoPacketKeys(body.objectName, expansion, sentFor);
    await this.assertAccess(body.conversationType, senderId, body.targetId, body.channelId);
    if (directed) await this.assertMembers(body.conversationType, body.targetId, directed);
    // Only a send that may be accepted is shown to the app server; what it answers is final.
    const content = await this.reviewed(type, senderId, body, original);
    const stream = streamStart(body.objectName, content);
    const mention = await this.narrowMention(body.conversationType, body.targetId, mentionOf(body.conversationType, content, body.isMentioned, actor.isServer), directed);

    const accepted: AcceptedSend = {
      conversationId: conversationId(body.conversationType, senderId, body.targetId, body.channelId),
      senderId,
      body,
      type,
      content,
      stream,
      directed,
      expansion,
      mention,
      // Group commit writes it among others' sends: the event keeps this request's trace.
      traceparent: currentTraceparent(),
    };
    // A keyed send goes alone (its key is claimed in its own transaction); the rest share commits.
    return idempotencyKey ? this.writeAlone(accepted, idempotencyKey) : this.commits.submit(accepted);
  }

  private async writeAlone(send: AcceptedSend, idempotencyKey?: string): Promise<SendMessageResult> {
    if (!idempotencyKey) return (await writeSends(this.db, [send], this.clock.now()))[0];
    return runOnce(this.db, `send:${send.senderId}`, idempotencyKey, async (trx) => (await writeSends(trx, [send], this.clock.now()))[0]);
  }

  /** The content after the before-send callback (if one is configured for this type); a replacement is checked like a sent content. */
  private async reviewed(type: MessageTypeDefinition, senderId: string, body: SendRequest['body'], original: Record<string, unknown>): Promise<Record<string, unknown>> {
    const channelId = (body as { channelId?: string }).channelId;
    const request = { conversationType: body.conversationType, targetId: body.targetId, ...(channelId !== undefined ? { channelId } : {}), senderId, objectName: body.objectName, content: original };
    const { content, replaced } = await this.beforeSend.review(request);
    if (!replaced) return original;
    try {
      const valid = validateContent(type, content);
      streamStart(body.objectName, valid);
      return valid;
    } catch (e) {
      throw e instanceof AppError ? Errors.replacementInvalid(e.toBody()) : e;
    }
  }

  /** Strangers get the same 404 whether or not the group exists. */
  private async assertAccess(type: number, senderId: string, targetId: string, channelId = ''): Promise<void> {
    if (type === ConversationType.ULTRA_GROUP) return assertUltraGroupChannelAccess(this.db, targetId, senderId, channelId, 'ultra group');
    if (type === ConversationType.GROUP) {
      if (!(await isGroupMember(this.db, targetId, senderId))) throw Errors.notFound('group');
      return;
    }
    if (type === ConversationType.CHATROOM) {
      if (!(await isChatroomMember(this.db, targetId, senderId))) throw Errors.notFound('chatroom');
      return;
    }
    const missing = await this.users.missing([senderId, targetId]);
    if (missing.length > 0) throw Errors.notFound('user');
  }

  /** Every directed user must be in the conversation: a group member, or the private peer. */
  private async assertMembers(type: number, targetId: string, userIds: string[]): Promise<void> {
    const members = type === ConversationType.GROUP ? await this.membersAmong(targetId, userIds) : userIds.filter((id) => id === targetId);
    const outside = userIds.filter((id) => !members.includes(id));
    if (outside.length > 0) {
      throw new AppError('DIRECTED_USER_NOT_MEMBER', 'every directed user must be in the conversation', { userIds: outside });
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
  private async narrowMention(type: number, groupId: string, mention: Mention | null, directed: string[] | undefined): Promise<Mention | null> {
    if (!mention) return null;
    if (directed) {
      const ids = mention.type === 1 ? directed : mention.userIds.filter((id) => directed.includes(id));
      return { type: 2, userIds: ids };
    }
    if (mention.type === 1 || mention.userIds.length === 0) return mention;
    const members = type === ConversationType.ULTRA_GROUP ? await ultraGroupMembersAmong(this.db, groupId, mention.userIds) : await this.membersAmong(groupId, mention.userIds);
    return { type: 2, userIds: members };
  }

}
