import { AppError, Errors, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';

type Profile = RpcReply<'messaging', 'users.get'>;

@Injectable()
export class UsersService {
  constructor(
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Creates or updates a profile; an unchanged profile appends nothing. */
  async upsert({ userId, body }: RpcParsed<'messaging', 'users.upsert'>): Promise<Profile> {
    const profile = { userId, name: body.name, portrait: body.portrait ?? null };
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const before = await trx.selectFrom('users').selectAll().where('user_id', '=', userId).forUpdate().executeTakeFirst();
      if (before && before.name === profile.name && before.portrait === profile.portrait) return profile;
      await trx
        .insertInto('users')
        .values({ user_id: userId, name: profile.name, portrait: profile.portrait, updated_at: now })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ name: profile.name, portrait: profile.portrait, updated_at: now }))
        .execute();
      await appendToStream(trx, `user-${userId}`, 'any', [newEvent('user.upserted', profile)], now);
      return profile;
    });
  }

  async get({ userId }: RpcParsed<'messaging', 'users.get'>): Promise<Profile> {
    const row = await this.db.selectFrom('users').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw Errors.notFound('user');
    return { userId: row.user_id, name: row.name, portrait: row.portrait };
  }
}

/** The ids among `userIds` that have no profile. */
export async function missingUsers(db: Kysely<any>, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db.selectFrom('users').select('user_id').where('user_id', 'in', userIds).execute();
  const found = new Set(rows.map((r) => r.user_id));
  return userIds.filter((id) => !found.has(id));
}

export async function assertUsersExist(db: Kysely<any>, userIds: string[]): Promise<void> {
  const missing = await missingUsers(db, userIds);
  if (missing.length > 0) throw new AppError('NOT_FOUND', 404, 'user not found or no access', { userIds: missing });
}
