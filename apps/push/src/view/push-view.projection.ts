import { EventData, EventEnvelope } from '@im/contracts';
import { Projection } from '@im/eventstore';
import { Kysely, sql } from 'kysely';

type Sent = EventData<'message.sent'>;
type Members = EventData<'group.members.added'>;

/**
 * What push knows of the other services, rebuildable from their logs: group members, user and
 * group names, custom types' push texts, stored messages (recipients, recall state) and read
 * positions. The fan-out and push reactions wait for this view on messaging's stream, so a
 * message is never fanned out before the membership it follows.
 */
export const PUSH_VIEW = 'push_view';

export const pushViewProjection: Projection = {
  name: PUSH_VIEW,
  sources: ['messaging', 'receipts'],
  tables: ['group_members', 'profiles', 'groups', 'message_types', 'message_refs', 'read_positions'],
  async apply(trx, event: EventEnvelope) {
    switch (event.type) {
      case 'message.sent':
        return onSent(trx, event.data as Sent);
      case 'message.recalled':
        await trx.updateTable('message_refs').set({ recalled: true }).where('message_uid', '=', (event.data as EventData<'message.recalled'>).messageUId).execute();
        return;
      case 'group.members.added':
        return onMembersAdded(trx, event.data as Members);
      case 'group.members.removed': {
        const e = event.data as Members;
        await trx.deleteFrom('group_members').where('group_id', '=', e.groupId).where('user_id', 'in', e.userIds).execute();
        return;
      }
      case 'user.upserted': {
        const u = event.data as EventData<'user.upserted'>;
        await upsertName(trx, 'profiles', 'user_id', u.userId, u.name);
        return;
      }
      case 'group.upserted': {
        const g = event.data as EventData<'group.upserted'>;
        await upsertName(trx, 'groups', 'group_id', g.groupId, g.name);
        return;
      }
      case 'message-type.registered': {
        const t = event.data as EventData<'message-type.registered'>;
        const push_content = t.isStatus ? null : t.pushContent;
        await trx.insertInto('message_types').values({ object_name: t.objectName, push_content }).onConflict((oc) => oc.column('object_name').doUpdateSet({ push_content })).execute();
        return;
      }
      case 'conversation.read':
        return onRead(trx, event.data as EventData<'conversation.read'>);
      default:
        return;
    }
  },
};

async function onSent(trx: Kysely<any>, m: Sent): Promise<void> {
  if (!m.isPersisted || m.seq === null) return;
  await trx
    .insertInto('message_refs')
    .values({
      message_uid: m.messageUId,
      conversation_id: m.conversationId,
      conversation_type: m.conversationType,
      target_id: m.targetId,
      sender_id: m.senderId,
      seq: m.seq,
      directed_user_ids: m.directedUserIds ?? null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function onMembersAdded(trx: Kysely<any>, e: Members): Promise<void> {
  await trx
    .insertInto('group_members')
    .values(e.userIds.map((user_id) => ({ group_id: e.groupId, user_id })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function upsertName(trx: Kysely<any>, table: string, key: string, id: string, name: string): Promise<void> {
  await trx.insertInto(table).values({ [key]: id, name }).onConflict((oc) => oc.column(key).doUpdateSet({ name })).execute();
}

/** Positions only move forward. */
async function onRead(trx: Kysely<any>, r: EventData<'conversation.read'>): Promise<void> {
  await sql`
    INSERT INTO read_positions (conversation_id, user_id, seq) VALUES (${r.conversationId}, ${r.userId}, ${r.seq})
    ON CONFLICT (conversation_id, user_id) DO UPDATE SET seq = excluded.seq WHERE read_positions.seq < excluded.seq`.execute(trx);
}
