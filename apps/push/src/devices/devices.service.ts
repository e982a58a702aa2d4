import { actingUser, DeviceView, Errors, MAX_DEVICES_PER_USER, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { OutboundClient } from '@im/outbound';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { PUSH_OUTBOUND, PUSH_SETTINGS, PushSettings } from '../push.settings';
import { DeviceDirectory } from './device-directory';
import { assertReachable } from './device-targets';
import type { DB as PushDB } from '../db.generated';

export const DEVICE_DIRECTORY = Symbol('DEVICE_DIRECTORY');

/**
 * A user's push devices: a webhook (URL and signing secret) or a Web Push subscription. The
 * secret and subscription stay in this service: its events name the device, never its keys.
 * The planner's directory (device-directory.ts) learns a change here once it committed.
 */
@Injectable()
export class DevicesService {
  constructor(
    @Inject(DB) private readonly db: Kysely<PushDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PUSH_SETTINGS) private readonly settings: PushSettings,
    @Inject(PUSH_OUTBOUND) private readonly outbound: OutboundClient,
    @Inject(DEVICE_DIRECTORY) private readonly directory: DeviceDirectory,
  ) {}

  /**
   * Registering a deviceId again replaces it (a browser renews its subscription that way). The
   * URL is checked first: a refused one stores nothing and announces nothing.
   */
  async register({ actor, body }: RpcParsed<'push', 'devices.register'>): Promise<DeviceView> {
    const userId = actingUser(actor);
    await assertReachable(this.outbound, body, this.settings.webhookUrlPattern);
    const now = this.clock.now();
    const row = {
      platform: body.platform,
      url: body.platform === 'webhook' ? body.url : null,
      secret: body.platform === 'webhook' ? body.secret : null,
      subscription: body.platform === 'webpush' ? JSON.stringify(body.subscription) : null,
      registered_at: now.getTime(),
    };
    const view = await this.db.transaction().execute(async (trx) => {
      await this.assertRoom(trx, userId, body.deviceId);
      await trx
        .insertInto('devices')
        .values({ user_id: userId, device_id: body.deviceId, ...row })
        .onConflict((oc) => oc.columns(['user_id', 'device_id']).doUpdateSet(row))
        .execute();
      const data = { userId, deviceId: body.deviceId, platform: body.platform, registeredAt: row.registered_at };
      await appendToStream(trx, deviceStream(userId, body.deviceId), 'any', [newEvent('device.registered', data)], now);
      return { deviceId: body.deviceId, platform: body.platform, registeredAt: row.registered_at };
    });
    this.directory.registered(userId, body.deviceId, row.registered_at);
    return view;
  }

  async remove({ actor, deviceId }: RpcParsed<'push', 'devices.remove'>): Promise<RpcReply<'push', 'devices.remove'>> {
    const userId = actingUser(actor);
    if (!(await this.forget(userId, deviceId))) throw Errors.notFound('device');
    return { deviceId, removed: true };
  }

  /** Removes a device (the user did, or its Web Push subscription is gone); false if there was none. */
  async forget(userId: string, deviceId: string): Promise<boolean> {
    const now = this.clock.now();
    const gone = await this.db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('devices').where('user_id', '=', userId).where('device_id', '=', deviceId).returning('device_id').executeTakeFirst();
      if (!gone) return false;
      await appendToStream(trx, deviceStream(userId, deviceId), 'any', [newEvent('device.removed', { userId, deviceId, removedAt: now.getTime() })], now);
      return true;
    });
    if (gone) this.directory.removed(userId, deviceId, now.getTime());
    return gone;
  }

  webpushKey(): RpcReply<'push', 'devices.webpushKey'> {
    return { publicKey: this.settings.vapid.publicKey };
  }

  private async assertRoom(trx: Transaction<PushDB>, userId: string, deviceId: string): Promise<void> {
    const { n } = await trx
      .selectFrom('devices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .where('device_id', '<>', deviceId)
      .executeTakeFirstOrThrow();
    if (n >= MAX_DEVICES_PER_USER) {
      throw Errors.unprocessable('TOO_MANY_DEVICES', `a user has at most ${MAX_DEVICES_PER_USER} devices; remove one first`, { limit: MAX_DEVICES_PER_USER });
    }
  }
}

function deviceStream(userId: string, deviceId: string): string {
  return `device-${userId}/${deviceId}`;
}
