import { actingUser, newEvent, RpcParsed, UserSettingsView } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import type { DB as ReceiptsDB } from '../db.generated';

/** Whether a user's reads are reported to others. Receipts are on unless turned off. */
@Injectable()
export class SettingsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<ReceiptsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async get({ actor }: RpcParsed<'receipts', 'settings.get'>): Promise<UserSettingsView> {
    const userId = actingUser(actor);
    return { userId, readReceipts: await reportsReads(this.db, userId) };
  }

  /** An unchanged setting appends nothing. */
  async update({ actor, body }: RpcParsed<'receipts', 'settings.update'>): Promise<UserSettingsView> {
    const userId = actingUser(actor);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now();
      const before = await trx.selectFrom('user_settings').select('read_receipts').where('user_id', '=', userId).forUpdate().executeTakeFirst();
      if (before && before.read_receipts === body.readReceipts) return { userId, readReceipts: body.readReceipts };
      await trx
        .insertInto('user_settings')
        .values({ user_id: userId, read_receipts: body.readReceipts, updated_at: now.getTime() })
        .onConflict((oc) => oc.column('user_id').doUpdateSet({ read_receipts: body.readReceipts, updated_at: now.getTime() }))
        .execute();
      const data = { userId, readReceipts: body.readReceipts, updatedAt: now.getTime() };
      await appendToStream(trx, `settings-${userId}`, 'any', [newEvent('user.settings.updated', data)], now);
      return { userId, readReceipts: body.readReceipts };
    });
  }
}

export async function reportsReads(db: Kysely<ReceiptsDB>, userId: string): Promise<boolean> {
  const row = await db.selectFrom('user_settings').select('read_receipts').where('user_id', '=', userId).executeTakeFirst();
  return row?.read_receipts ?? true;
}
