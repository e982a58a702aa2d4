import { ultraGroupMembershipKey } from '@im/contracts';
import { TypedEvent } from '@im/eventstore';
import { Kysely } from 'kysely';

/** The events of messaging's directory: group and ultra group membership, and profile names. */
export const DIRECTORY_EVENTS = ['group.members.added', 'group.members.removed', 'ultragroup.members.added', 'ultragroup.members.removed', 'user.upserted'] as const;
export type DirectoryEvent = (typeof DIRECTORY_EVENTS)[number];

/**
 * Services that must know who is in which group and what users are called (expansions for
 * access and notices, push for recipients and titles) keep their own copy, built from
 * messaging's events into two tables of their schema: `group_members (group_id, user_id)` and
 * `profiles (user_id, name)`. An ultra group's members are kept there too, under
 * `ultraGroupMembershipKey(id)` (`10:<id>`: a colon never appears in a group id), so whoever
 * resolves members of a conversation finds them with the same query. A projection handles
 * `DIRECTORY_EVENTS` and hands them here (`isEventOf(DIRECTORY_EVENTS, event)`).
 */
export async function applyDirectoryEvent(trx: Kysely<any>, event: TypedEvent<DirectoryEvent>): Promise<void> {
  switch (event.type) {
    case 'group.members.added': {
      const e = event.data;
      await trx
        .insertInto('group_members')
        .values(e.userIds.map((user_id) => ({ group_id: e.groupId, user_id })))
        .onConflict((oc) => oc.doNothing())
        .execute();
      return;
    }
    case 'group.members.removed': {
      const e = event.data;
      await trx.deleteFrom('group_members').where('group_id', '=', e.groupId).where('user_id', 'in', e.userIds).execute();
      return;
    }
    case 'ultragroup.members.added': {
      const e = event.data;
      const key = ultraGroupMembershipKey(e.ultraGroupId);
      await trx
        .insertInto('group_members')
        .values(e.userIds.map((user_id) => ({ group_id: key, user_id })))
        .onConflict((oc) => oc.doNothing())
        .execute();
      return;
    }
    case 'ultragroup.members.removed': {
      const e = event.data;
      await trx.deleteFrom('group_members').where('group_id', '=', ultraGroupMembershipKey(e.ultraGroupId)).where('user_id', 'in', e.userIds).execute();
      return;
    }
    case 'user.upserted': {
      const u = event.data;
      await trx.insertInto('profiles').values({ user_id: u.userId, name: u.name }).onConflict((oc) => oc.column('user_id').doUpdateSet({ name: u.name })).execute();
      return;
    }
    default: {
      const _exhaustive: never = event;
      return _exhaustive;
    }
  }
}
