import { Errors, newEvent, NewEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { assertUsersExist } from '../users/users.service';
import { membershipDiff } from './membership.rules';
import type { DB as MessagingDB } from '../db.generated';

/** Groups and their membership. Each write locks the group row, so its event stream is serial. */
@Injectable()
export class GroupsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async upsert({ groupId, body }: RpcParsed<'messaging', 'groups.upsert'>): Promise<RpcReply<'messaging', 'groups.upsert'>> {
    const wanted = body.memberIds === undefined ? undefined : [...new Set(body.memberIds)];
    if (wanted) await assertUsersExist(this.db, wanted);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const before = await trx.selectFrom('groups').select('name').where('group_id', '=', groupId).forUpdate().executeTakeFirst();
      const current = before ? await this.members(trx, groupId) : [];
      // Without memberIds the PUT is a rename (or a creation with nobody): the members stay.
      const memberIds = wanted ?? current;
      const { added, removed } = membershipDiff(current, memberIds);
      const events: NewEvent[] = [];
      if (before?.name !== body.name) {
        await trx
          .insertInto('groups')
          .values({ group_id: groupId, name: body.name, updated_at: now })
          .onConflict((oc) => oc.column('group_id').doUpdateSet({ name: body.name, updated_at: now }))
          .execute();
        events.push(newEvent('group.upserted', { groupId, name: body.name }));
      }
      events.push(...(await this.addMembers(trx, groupId, added, now)), ...(await this.removeMembers(trx, groupId, removed)));
      if (events.length > 0) await appendToStream(trx, `group-${groupId}`, 'any', events, now);
      return { groupId, name: body.name, memberIds };
    });
  }

  async addMembersCommand({ groupId, body }: RpcParsed<'messaging', 'groups.members.add'>): Promise<RpcReply<'messaging', 'groups.members.add'>> {
    const userIds = [...new Set(body.userIds)];
    await assertUsersExist(this.db, userIds);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      await this.lockGroup(trx, groupId);
      const current = new Set(await this.members(trx, groupId));
      const added = userIds.filter((id) => !current.has(id));
      const events = await this.addMembers(trx, groupId, added, now);
      if (events.length > 0) await appendToStream(trx, `group-${groupId}`, 'any', events, now);
      return { groupId, added };
    });
  }

  async removeMemberCommand({ groupId, userId }: RpcParsed<'messaging', 'groups.members.remove'>): Promise<RpcReply<'messaging', 'groups.members.remove'>> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      await this.lockGroup(trx, groupId);
      const events = await this.removeMembers(trx, groupId, [userId]);
      if (events.length === 0) throw Errors.notFound('group member');
      await appendToStream(trx, `group-${groupId}`, 'any', events, now);
      return { groupId, removed: [userId] };
    });
  }

  private async lockGroup(trx: Transaction<MessagingDB>, groupId: string): Promise<void> {
    const row = await trx.selectFrom('groups').select('group_id').where('group_id', '=', groupId).forUpdate().executeTakeFirst();
    if (!row) throw Errors.notFound('group');
  }

  private async members(trx: Transaction<MessagingDB>, groupId: string): Promise<string[]> {
    const rows = await trx.selectFrom('group_members').select('user_id').where('group_id', '=', groupId).execute();
    return rows.map((r) => r.user_id);
  }

  private async addMembers(trx: Transaction<MessagingDB>, groupId: string, userIds: string[], now: Date): Promise<NewEvent[]> {
    if (userIds.length === 0) return [];
    await trx
      .insertInto('group_members')
      .values(userIds.map((user_id) => ({ group_id: groupId, user_id, joined_at: now })))
      .execute();
    return [newEvent('group.members.added', { groupId, userIds })];
  }

  private async removeMembers(trx: Transaction<MessagingDB>, groupId: string, userIds: string[]): Promise<NewEvent[]> {
    if (userIds.length === 0) return [];
    const gone = await trx
      .deleteFrom('group_members')
      .where('group_id', '=', groupId)
      .where('user_id', 'in', userIds)
      .returning('user_id')
      .execute();
    return gone.length > 0 ? [newEvent('group.members.removed', { groupId, userIds: gone.map((r) => r.user_id) })] : [];
  }
}

export async function isGroupMember(db: Kysely<MessagingDB>, groupId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('group_members')
    .select('user_id')
    .where('group_id', '=', groupId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row !== undefined;
}

