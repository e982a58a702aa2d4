import { EventData, EventEnvelope, ultraGroupMembershipKey } from '@im/contracts';
import { Kysely } from 'kysely';

/**
 * Services that must know who is in which group and what users are called (expansions for
 * access and notices, push for recipients and titles) keep their own copy, built from
 * messaging's events into two tables of their schema: `group_members (group_id, user_id)` and
 * `profiles (user_id, name)`. An ultra group's members are kept there too, under
 * `ultraGroupMembershipKey(id)` (`10:<id>`: a colon never appears in a group id), so whoever
 * resolves members of a conversation finds them with the same query. Returns whether the event
 * was one of these.
 */
export async function applyDirectoryEvent(trx: Kysely<any>, event: EventEnvelope): Promise<boolean> {
  switch (event.type) {
    case 'group.members.added': {
      const e = event.data as EventData<'group.members.added'>;
      await trx
        .insertInto('group_members')
        .values(e.userIds.map((user_id) => ({ group_id: e.groupId, user_id })))
        .onConflict((oc) => oc.doNothing())
        .execute();
      return true;
    }
    case 'group.members.removed': {
      const e = event.data as EventData<'group.members.removed'>;
      await trx.deleteFrom('group_members').where('group_id', '=', e.groupId).where('user_id', 'in', e.userIds).execute();
      return true;
    }
    case 'ultragroup.members.added': {
      const e = event.data as EventData<'ultragroup.members.added'>;
      const key = ultraGroupMembershipKey(e.ultraGroupId);
      await trx
        .insertInto('group_members')
        .values(e.userIds.map((user_id) => ({ group_id: key, user_id })))
        .onConflict((oc) => oc.doNothing())
        .execute();
      return true;
    }
    case 'ultragroup.members.removed': {
      const e = event.data as EventData<'ultragroup.members.removed'>;
      await trx.deleteFrom('group_members').where('group_id', '=', ultraGroupMembershipKey(e.ultraGroupId)).where('user_id', 'in', e.userIds).execute();
      return true;
    }
    case 'user.upserted': {
      const u = event.data as EventData<'user.upserted'>;
      await trx.insertInto('profiles').values({ user_id: u.userId, name: u.name }).onConflict((oc) => oc.column('user_id').doUpdateSet({ name: u.name })).execute();
      return true;
    }
    default:
      return false;
  }
}
