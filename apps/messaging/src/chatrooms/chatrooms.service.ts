import {
  actingUser,
  CHATROOM_JOIN_HISTORY,
  ChatroomAttributeView,
  ChatroomView,
  ConversationType,
  conversationId,
  Errors,
  EventData,
  NewEvent,
  parseOrThrow,
  RpcParsed,
  RpcReply,
  SendMessageBody,
} from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { ConversationsQueries } from '../conversations/conversations.queries';
import { MessageTypesService } from '../message-types/message-types.service';
import { lockConversation } from '../messages/conversation-head';
import { AcceptedSend, writeSends } from '../messages/send-batch';
import { assertUsersExist } from '../users/users.service';
import { isChatroomMember } from './chatroom-members';
import { attributeNotice, ChatroomCommand, ChatroomState, decide, evolve } from './chatroom.decider';
import type { DB as MessagingDB } from '../db.generated';

type Changed = EventData<'chatroom.attribute.changed'>;

const NOTICE = 'RC:chrmKVNotiMsg';

/**
 * Chatrooms: each command loads what it needs under the chatroom conversation's lock, lets the
 * decider decide, then appends the events and derives its rows from them, in one transaction.
 * An attribute change also sends its RC:chrmKVNotiMsg into the room in that transaction, so
 * every member sees the changes in the order they were accepted (the last accepted write wins).
 */
@Injectable()
export class ChatroomsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly types: MessageTypesService,
    private readonly conversations: ConversationsQueries,
  ) {}

  async upsert({ actor, chatroomId, body }: RpcParsed<'messaging', 'chatrooms.upsert'>): Promise<ChatroomView> {
    assertServer(actor.isServer);
    await this.execute(chatroomId, null, { type: 'upsert', chatroomId, name: body.name });
    return this.get({ actor, chatroomId });
  }

  async delete({ actor, chatroomId }: RpcParsed<'messaging', 'chatrooms.delete'>): Promise<RpcReply<'messaging', 'chatrooms.delete'>> {
    assertServer(actor.isServer);
    await this.execute(chatroomId, null, { type: 'delete', chatroomId });
    return { chatroomId, deleted: true };
  }

  async get({ actor, chatroomId }: RpcParsed<'messaging', 'chatrooms.get'>): Promise<ChatroomView> {
    const row = await this.db.selectFrom('chatrooms').select(['name', 'member_count']).where('chatroom_id', '=', chatroomId).executeTakeFirst();
    // A user sees a room they are in; the server key any.
    if (!row || (!actor.isServer && !(await isChatroomMember(this.db, chatroomId, actingUser(actor))))) throw Errors.notFound('chatroom');
    return { chatroomId, name: row.name, memberCount: row.member_count };
  }

  /** Joins (again: nothing changes) and answers with the room and its latest messages. */
  async join({ actor, chatroomId }: RpcParsed<'messaging', 'chatrooms.join'>): Promise<RpcReply<'messaging', 'chatrooms.join'>> {
    const userId = actingUser(actor);
    await assertUsersExist(this.db, [userId]);
    const { lastSeq } = await this.execute(chatroomId, userId, { type: 'join', chatroomId, userId });
    // History is the conversations projection: let it reach what was sent before the join.
    if (lastSeq > 0) await this.conversations.caughtUp(conversationId(ConversationType.CHATROOM, userId, chatroomId), lastSeq);
    const history = await this.conversations.history({
      actor,
      conversationType: ConversationType.CHATROOM,
      targetId: chatroomId,
      query: { limit: CHATROOM_JOIN_HISTORY },
    });
    return { ...(await this.get({ actor, chatroomId })), messages: history.messages };
  }

  async leave({ actor, chatroomId }: RpcParsed<'messaging', 'chatrooms.leave'>): Promise<RpcReply<'messaging', 'chatrooms.leave'>> {
    const userId = actingUser(actor);
    await this.execute(chatroomId, userId, { type: 'leave', chatroomId, userId });
    return { chatroomId, left: true };
  }

  async setAttribute({ actor, chatroomId, key, body }: RpcParsed<'messaging', 'chatrooms.attributes.set'>): Promise<RpcReply<'messaging', 'chatrooms.attributes.set'>> {
    const who = { userId: actingUser(actor), isServer: actor.isServer };
    const command: ChatroomCommand = { type: 'setAttribute', chatroomId, actor: who, key, value: body.value, overwrite: body.overwrite, autoDelete: body.autoDelete, extra: body.notificationExtra };
    const { state } = await this.execute(chatroomId, who.userId, command);
    const a = state.attributes.get(key)!;
    return { key, value: a.value, userId: a.userId, updatedAt: a.updatedAt };
  }

  async deleteAttribute({ actor, chatroomId, key, body }: RpcParsed<'messaging', 'chatrooms.attributes.delete'>): Promise<RpcReply<'messaging', 'chatrooms.attributes.delete'>> {
    const who = { userId: actingUser(actor), isServer: actor.isServer };
    await this.execute(chatroomId, who.userId, { type: 'deleteAttribute', chatroomId, actor: who, key, extra: body.notificationExtra });
    return { key, deleted: true };
  }

  async listAttributes({ actor, chatroomId }: RpcParsed<'messaging', 'chatrooms.attributes.list'>): Promise<RpcReply<'messaging', 'chatrooms.attributes.list'>> {
    await this.get({ actor, chatroomId });
    const rows = await this.db.selectFrom('chatroom_attributes').selectAll().where('chatroom_id', '=', chatroomId).orderBy('key').execute();
    const attributes: Record<string, ChatroomAttributeView> = {};
    for (const r of rows) attributes[r.key] = { value: r.value, userId: r.user_id, updatedAt: r.updated_at };
    return { attributes };
  }

  /**
   * Load, decide, write. The conversation lock comes first (see conversation-head.ts): it orders
   * every command of one room, and the notices' seqs with them.
   */
  private async execute(chatroomId: string, userId: string | null, command: ChatroomCommand): Promise<{ state: ChatroomState; lastSeq: number }> {
    const convId = conversationId(ConversationType.CHATROOM, '', chatroomId);
    const notice = await this.types.resolve(NOTICE);
    return this.db.transaction().execute(async (trx) => {
      await lockConversation(trx, convId);
      const state = await loadState(trx, chatroomId, userId);
      const now = this.clock.now();
      const events = decide(command, state, { now: now.getTime() });
      const changes = events.flatMap((e) => (e.type === 'chatroom.attribute.changed' ? [e.data] : []));
      if (changes.length > 0) await writeSends(trx, changes.map((c) => noticeSend(convId, c, notice)), now);
      for (const e of events) await writeRow(trx, e, now);
      if (events.length > 0) await appendToStream(trx, `chatroom-${chatroomId}`, 'any', events, now);
      const head = await trx.selectFrom('conversation_heads').select('last_seq').where('conversation_id', '=', convId).executeTakeFirst();
      return { state: events.reduce(evolve, state), lastSeq: head?.last_seq ?? 0 };
    });
  }
}

function assertServer(isServer: boolean): void {
  if (!isServer) throw Errors.forbidden('chatrooms are created and deleted with the server key');
}

async function loadState(trx: Transaction<MessagingDB>, chatroomId: string, userId: string | null): Promise<ChatroomState> {
  const room = await trx.selectFrom('chatrooms').select('name').where('chatroom_id', '=', chatroomId).executeTakeFirst();
  if (!room) return { name: null, member: false, attributes: new Map() };
  const member = userId ? await isChatroomMember(trx, chatroomId, userId) : false;
  const rows = await trx.selectFrom('chatroom_attributes').selectAll().where('chatroom_id', '=', chatroomId).execute();
  const attributes = new Map(rows.map((r) => [r.key, { value: r.value, userId: r.user_id, updatedAt: r.updated_at, autoDelete: r.auto_delete }]));
  return { name: room.name, member, attributes };
}

/** The rows follow from the events: one statement each. */
async function writeRow(trx: Transaction<MessagingDB>, event: NewEvent, now: Date): Promise<void> {
  switch (event.type) {
    case 'chatroom.upserted': {
      const { chatroomId, name } = event.data;
      await trx
        .insertInto('chatrooms')
        .values({ chatroom_id: chatroomId, name, updated_at: now })
        .onConflict((oc) => oc.column('chatroom_id').doUpdateSet({ name, updated_at: now }))
        .execute();
      return;
    }
    case 'chatroom.deleted':
      await trx.deleteFrom('chatrooms').where('chatroom_id', '=', event.data.chatroomId).execute();
      return;
    case 'chatroom.member.joined':
      await trx.insertInto('chatroom_members').values({ chatroom_id: event.data.chatroomId, user_id: event.data.userId, joined_at: now }).execute();
      await bumpMembers(trx, event.data.chatroomId, 1);
      return;
    case 'chatroom.member.left':
      await trx.deleteFrom('chatroom_members').where('chatroom_id', '=', event.data.chatroomId).where('user_id', '=', event.data.userId).execute();
      await bumpMembers(trx, event.data.chatroomId, -1);
      return;
    case 'chatroom.attribute.changed': {
      const c = event.data;
      if (c.type === 2) {
        await trx.deleteFrom('chatroom_attributes').where('chatroom_id', '=', c.chatroomId).where('key', '=', c.key).execute();
        return;
      }
      const row = { value: c.value, user_id: c.userId, auto_delete: c.autoDelete, updated_at: c.updatedAt };
      await trx
        .insertInto('chatroom_attributes')
        .values({ chatroom_id: c.chatroomId, key: c.key, ...row })
        .onConflict((oc) => oc.columns(['chatroom_id', 'key']).doUpdateSet(row))
        .execute();
      return;
    }
    default:
      return;
  }
}

async function bumpMembers(trx: Transaction<MessagingDB>, chatroomId: string, by: number): Promise<void> {
  await trx
    .updateTable('chatrooms')
    .set((eb) => ({ member_count: eb('member_count', '+', by) }))
    .where('chatroom_id', '=', chatroomId)
    .execute();
}

/** The RC:chrmKVNotiMsg announcing a change, sent into the room by whoever made it. */
function noticeSend(convId: string, c: Changed, type: AcceptedSend['type']): AcceptedSend {
  const content = attributeNotice(c);
  const body = parseOrThrow(SendMessageBody, { conversationType: ConversationType.CHATROOM, targetId: c.chatroomId, objectName: NOTICE, content }, 'body');
  return { conversationId: convId, senderId: c.userId, body, type, content, stream: null, directed: undefined, expansion: undefined, mention: null };
}

