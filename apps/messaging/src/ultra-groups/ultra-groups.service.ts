import { Errors, newEvent, NewEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type { DB as MessagingDB } from '../db.generated';
import { Kysely, Transaction } from 'kysely';
import { membershipDiff } from '../groups/membership.rules';
import { assertUsersExist } from '../users/users.service';

type Reply<M extends 'ultraGroups.upsert' | 'ultraGroups.members.add' | 'ultraGroups.members.remove' | 'ultraGroups.channels.upsert'> = Promise<RpcReply<'messaging', M>>;

/**
 * Ultra groups, their members (one list for every channel) and their channels. Works as
 * GroupsService does: each write locks the ultra group's row, so its event stream
 * (`ultragroup-<id>`) is serial, and an unchanged PUT appends nothing.
 */
@Injectable()
export class UltraGroupsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async upsert({ ultraGroupId, body }: RpcParsed<'messaging', 'ultraGroups.upsert'>): Reply<'ultraGroups.upsert'> {
    const wanted = body.memberIds === undefined ? undefined : [...new Set(body.memberIds)];
    if (wanted) await assertUsersExist(this.db, wanted);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const before = await trx.selectFrom('ultra_groups').select('name').where('ultra_group_id', '=', ultraGroupId).forUpdate().executeTakeFirst();
      const current = before ? await this.members(trx, ultraGroupId) : [];
      // Without memberIds the PUT is a rename (or a creation with nobody): the members stay.
      const memberIds = wanted ?? current;
      const { added, removed } = membershipDiff(current, memberIds);
      const events: NewEvent[] = [];
      if (before?.name !== body.name) {
        await trx
          .insertInto('ultra_groups')
          .values({ ultra_group_id: ultraGroupId, name: body.name, updated_at: now })
          .onConflict((oc) => oc.column('ultra_group_id').doUpdateSet({ name: body.name, updated_at: now }))
          .execute();
        events.push(newEvent('ultragroup.upserted', { ultraGroupId, name: body.name }));
      }
      events.push(...(await this.addMembers(trx, ultraGroupId, added, now)), ...(await this.removeMembers(trx, ultraGroupId, removed)));
      if (events.length > 0) await appendToStream(trx, streamOf(ultraGroupId), 'any', events, now);
      return { ultraGroupId, name: body.name, memberIds };
    });
  }

  async addMembersCommand({ ultraGroupId, body }: RpcParsed<'messaging', 'ultraGroups.members.add'>): Reply<'ultraGroups.members.add'> {
    const userIds = [...new Set(body.userIds)];
    await assertUsersExist(this.db, userIds);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      await this.lock(trx, ultraGroupId);
      const current = new Set(await this.members(trx, ultraGroupId));
      const added = userIds.filter((id) => !current.has(id));
      const events = await this.addMembers(trx, ultraGroupId, added, now);
      if (events.length > 0) await appendToStream(trx, streamOf(ultraGroupId), 'any', events, now);
      return { ultraGroupId, added };
    });
  }

  async removeMemberCommand({ ultraGroupId, userId }: RpcParsed<'messaging', 'ultraGroups.members.remove'>): Reply<'ultraGroups.members.remove'> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      await this.lock(trx, ultraGroupId);
      const events = await this.removeMembers(trx, ultraGroupId, [userId]);
      if (events.length === 0) throw Errors.notFound('ultra group member');
      await appendToStream(trx, streamOf(ultraGroupId), 'any', events, now);
      return { ultraGroupId, removed: [userId] };
    });
  }

  /** Creates or renames a channel; its members are the ultra group's, nothing to copy. */
  async upsertChannel({ ultraGroupId, channelId, body }: RpcParsed<'messaging', 'ultraGroups.channels.upsert'>): Reply<'ultraGroups.channels.upsert'> {
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      await this.lock(trx, ultraGroupId);
      const before = await trx
        .selectFrom('ultra_group_channels')
        .select('name')
        .where('ultra_group_id', '=', ultraGroupId)
        .where('channel_id', '=', channelId)
        .executeTakeFirst();
      if (before?.name !== body.name) {
        await trx
          .insertInto('ultra_group_channels')
          .values({ ultra_group_id: ultraGroupId, channel_id: channelId, name: body.name, updated_at: now })
          .onConflict((oc) => oc.columns(['ultra_group_id', 'channel_id']).doUpdateSet({ name: body.name, updated_at: now }))
          .execute();
        await appendToStream(trx, streamOf(ultraGroupId), 'any', [newEvent('ultragroup.channel.upserted', { ultraGroupId, channelId, name: body.name })], now);
      }
      return { ultraGroupId, channelId, name: body.name };
    });
  }

  private async lock(trx: Transaction<MessagingDB>, ultraGroupId: string): Promise<void> {
    const row = await trx.selectFrom('ultra_groups').select('ultra_group_id').where('ultra_group_id', '=', ultraGroupId).forUpdate().executeTakeFirst();
    if (!row) throw Errors.notFound('ultra group');
  }

  private async members(trx: Transaction<MessagingDB>, ultraGroupId: string): Promise<string[]> {
    const rows = await trx.selectFrom('ultra_group_members').select('user_id').where('ultra_group_id', '=', ultraGroupId).execute();
    return rows.map((r) => r.user_id);
  }

  private async addMembers(trx: Transaction<MessagingDB>, ultraGroupId: string, userIds: string[], now: Date): Promise<NewEvent[]> {
    if (userIds.length === 0) return [];
    await trx
      .insertInto('ultra_group_members')
      .values(userIds.map((user_id) => ({ ultra_group_id: ultraGroupId, user_id, joined_at: now })))
      .execute();
    return [newEvent('ultragroup.members.added', { ultraGroupId, userIds })];
  }

  private async removeMembers(trx: Transaction<MessagingDB>, ultraGroupId: string, userIds: string[]): Promise<NewEvent[]> {
    if (userIds.length === 0) return [];
    const gone = await trx
      .deleteFrom('ultra_group_members')
      .where('ultra_group_id', '=', ultraGroupId)
      .where('user_id', 'in', userIds)
      .returning('user_id')
      .execute();
    return gone.length > 0 ? [newEvent('ultragroup.members.removed', { ultraGroupId, userIds: gone.map((r) => r.user_id) })] : [];
  }
}

function streamOf(ultraGroupId: string): string {
  return `ultragroup-${ultraGroupId}`;
}
