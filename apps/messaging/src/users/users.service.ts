import { AppError, Errors, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream, appendToStreams } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB as MessagingDB } from '../db.generated';

type Profile = RpcReply<'messaging', 'users.get'>;

@Injectable()
export class UsersService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
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

  /**
   * Many profiles in one transaction: the rows locked in id order (two batches sharing users
   * never deadlock), one upsert and one append for the new or changed ones; unchanged ones
   * append nothing, so sending the same batch again is a no-op.
   */
  async upsertMany({ body }: RpcParsed<'messaging', 'users.upsertMany'>): Promise<RpcReply<'messaging', 'users.upsertMany'>> {
    const profiles = body.users.map((u) => ({ userId: u.userId, name: u.name, portrait: u.portrait ?? null }));
    const ids = profiles.map((p) => p.userId).sort();
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const { rows: before } = await sql<{ user_id: string; name: string; portrait: string | null }>`
        SELECT user_id, name, portrait FROM users WHERE user_id = ANY(${ids}::text[]) ORDER BY user_id FOR UPDATE`.execute(trx);
      const current = new Map(before.map((r) => [r.user_id, r]));
      const changed = profiles.filter((p) => {
        const row = current.get(p.userId);
        return !row || row.name !== p.name || row.portrait !== p.portrait;
      });
      if (changed.length === 0) return { users: profiles, changed: 0 };
      await trx
        .insertInto('users')
        .values(changed.map((p) => ({ user_id: p.userId, name: p.name, portrait: p.portrait, updated_at: now })))
        .onConflict((oc) =>
          oc.column('user_id').doUpdateSet((eb) => ({ name: eb.ref('excluded.name'), portrait: eb.ref('excluded.portrait'), updated_at: eb.ref('excluded.updated_at') })),
        )
        .execute();
      const streams = changed.map((p) => `user-${p.userId}`);
      const { rows: versions } = await sql<{ stream_id: string; v: number }>`
        SELECT stream_id, max(stream_version) AS v FROM events WHERE stream_id = ANY(${streams}::text[]) GROUP BY stream_id`.execute(trx);
      const version = new Map(versions.map((r) => [r.stream_id, Number(r.v)]));
      await appendToStreams(
        trx,
        changed.map((p) => ({ streamId: `user-${p.userId}`, version: (version.get(`user-${p.userId}`) ?? 0) + 1, event: newEvent('user.upserted', p) })),
        now,
      );
      return { users: profiles, changed: changed.length };
    });
  }

  async get({ userId }: RpcParsed<'messaging', 'users.get'>): Promise<Profile> {
    const row = await this.db.selectFrom('users').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (!row) throw Errors.notFound('user');
    return { userId: row.user_id, name: row.name, portrait: row.portrait };
  }
}

/** The ids among `userIds` that have no profile. */
export async function missingUsers(db: Kysely<MessagingDB>, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db.selectFrom('users').select('user_id').where('user_id', 'in', userIds).execute();
  const found = new Set(rows.map((r) => r.user_id));
  return userIds.filter((id) => !found.has(id));
}

export async function assertUsersExist(db: Kysely<MessagingDB>, userIds: string[]): Promise<void> {
  const missing = await missingUsers(db, userIds);
  if (missing.length > 0) throw new AppError('NOT_FOUND', 'user not found or no access', { userIds: missing });
}
