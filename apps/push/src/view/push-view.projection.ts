import { EventData, ultraGroupMembershipKey } from '@im/contracts';
import { defineProjection, isEventOf, runsOf, TypedEvent } from '@im/eventstore';
import { applyDirectoryEvent, DIRECTORY_EVENTS } from '@im/service-kit';
import { Kysely, sql } from 'kysely';
import type { DB } from '../db.generated';

type Sent = EventData<'message.sent'>;

/**
 * What push knows of the other services, rebuildable from their logs: group members, user and
 * group names, custom types' push texts, directed messages (who they are for) and read
 * positions. Other messages are not copied: every later event of a message names its
 * conversation, and a recall is marked on the message's push jobs (push-followups.ts). The fan-out and push reactions are applied after it in the same transaction
 * (push.module.ts), so a message is never fanned out before the membership it follows.
 */
export const PUSH_VIEW = 'push_view';

const HANDLES = [
  'message.sent',
  'group.upserted',
  'ultragroup.upserted',
  'message-type.registered',
  'chatroom.member.joined',
  'chatroom.member.left',
  'chatroom.deleted',
  'conversation.read',
  ...DIRECTORY_EVENTS,
] as const;

export const pushViewProjection = defineProjection({
  name: PUSH_VIEW,
  sources: ['messaging', 'receipts'],
  tables: ['group_members', 'profiles', 'groups', 'message_types', 'directed_messages', 'read_positions', 'chatroom_members'],
  handles: HANDLES,
  apply,
  applyBatch: runsOf('message.sent', (trx, run) => onSent(trx, run), apply),
});

async function apply(trx: Kysely<DB>, event: TypedEvent<(typeof HANDLES)[number]>): Promise<void> {
  if (isEventOf(DIRECTORY_EVENTS, event)) return applyDirectoryEvent(trx, event);
  switch (event.type) {
    case 'message.sent':
      return onSent(trx, [event.data]);
    case 'group.upserted': {
      const g = event.data;
      await trx.insertInto('groups').values({ group_id: g.groupId, name: g.name }).onConflict((oc) => oc.column('group_id').doUpdateSet({ name: g.name })).execute();
      return;
    }
    case 'ultragroup.upserted': {
      // Its name titles its pushes, kept beside the groups' under its membership key.
      const g = event.data;
      const group_id = ultraGroupMembershipKey(g.ultraGroupId);
      await trx.insertInto('groups').values({ group_id, name: g.name }).onConflict((oc) => oc.column('group_id').doUpdateSet({ name: g.name })).execute();
      return;
    }
    case 'message-type.registered': {
      const t = event.data;
      const push_content = t.isStatus ? null : t.pushContent;
      await trx.insertInto('message_types').values({ object_name: t.objectName, push_content }).onConflict((oc) => oc.column('object_name').doUpdateSet({ push_content })).execute();
      return;
    }
    case 'chatroom.member.joined': {
      const j = event.data;
      await trx.insertInto('chatroom_members').values({ chatroom_id: j.chatroomId, user_id: j.userId }).onConflict((oc) => oc.doNothing()).execute();
      return;
    }
    case 'chatroom.member.left': {
      const l = event.data;
      await trx.deleteFrom('chatroom_members').where('chatroom_id', '=', l.chatroomId).where('user_id', '=', l.userId).execute();
      return;
    }
    case 'chatroom.deleted':
      await trx.deleteFrom('chatroom_members').where('chatroom_id', '=', event.data.chatroomId).execute();
      return;
    case 'conversation.read':
      return onRead(trx, event.data);
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}

/**
 * A receipt request names the message's conversation but not its direction (receipt.requested):
 * the fan-out finds it here. Only directed messages are kept, so a run without one costs nothing.
 */
async function onSent(trx: Kysely<DB>, sent: Sent[]): Promise<void> {
  const directed = sent.filter((m): m is Sent & { directedUserIds: string[] } => m.isPersisted && !!m.directedUserIds);
  if (directed.length === 0) return;
  await trx
    .insertInto('directed_messages')
    .values(
      directed.map((m) => ({
        message_uid: m.messageUId,
        conversation_id: m.conversationId,
        conversation_type: m.conversationType,
        target_id: m.targetId,
        sender_id: m.senderId,
        directed_user_ids: m.directedUserIds,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Positions only move forward. */
async function onRead(trx: Kysely<DB>, r: EventData<'conversation.read'>): Promise<void> {
  await sql`
    INSERT INTO read_positions (conversation_id, user_id, seq) VALUES (${r.conversationId}, ${r.userId}, ${r.seq})
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = excluded.seq WHERE read_positions.seq < excluded.seq`.execute(trx);
}
