import { defineProjection, Projection } from '@im/eventstore';
import { Kysely } from 'kysely';
import type { DB } from '../db.generated';

/**
 * Who has a push device, in memory: the planner asks it before any query, so a message whose
 * recipients have no device costs no statement, and a group's members without one are never
 * read. Devices are few next to users and change rarely; the table stays the truth.
 *
 * Kept current three ways: this process's own registrations and removals after they commit
 * (DevicesService), the `device.*` events of push's stream as the consumer applies them (another
 * replica's), and `refresh()` every `DIRECTORY_REFRESH_MS` (push.module.ts), which reads the
 * devices registered lately: a replica that becomes the consumer's leader did not apply the
 * events it was not delivered as a follower, so a device registered through another replica
 * reaches its plans within that bound at the latest. A removal it missed leaves a device user
 * it still asks about: one query that finds nothing, never a push lost.
 */
export class DeviceDirectory {
  /** user → device → registeredAt (a removal older than the registration it meets is stale). */
  private readonly byUser = new Map<string, Map<string, number>>();
  private everyone: string[] | null = null;
  /** When the last refresh started (this process's clock): the next reads from a while before it. */
  private refreshedAt: number | null = null;
  private loading?: Promise<void>;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly now: () => number,
  ) {}

  /** Loads the table once (the planner awaits it: the schema exists once the consumers run). */
  ready(): Promise<void> {
    this.loading ??= this.refresh().catch((e: unknown) => {
      this.loading = undefined;
      throw e;
    });
    return this.loading;
  }

  has(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** Those of `users` that have a device. */
  withDevices(users: readonly string[]): string[] {
    return users.filter((u) => this.byUser.has(u));
  }

  /** Every user with a device (the array is kept until the next change). */
  users(): readonly string[] {
    return (this.everyone ??= [...this.byUser.keys()]);
  }

  registered(userId: string, deviceId: string, registeredAt: number): void {
    let devices = this.byUser.get(userId);
    if (!devices) {
      this.byUser.set(userId, (devices = new Map()));
      this.everyone = null;
    }
    devices.set(deviceId, Math.max(registeredAt, devices.get(deviceId) ?? 0));
  }

  removed(userId: string, deviceId: string, removedAt: number): void {
    const devices = this.byUser.get(userId);
    const at = devices?.get(deviceId);
    if (!devices || at === undefined || at > removedAt) return;
    devices.delete(deviceId);
    if (devices.size > 0) return;
    this.byUser.delete(userId);
    this.everyone = null;
  }

  /**
   * Adds what the table holds: all of it the first time, then the registrations stamped since
   * a minute before the previous refresh (another replica's clock may be behind, and a
   * transaction commits a little after the time it stamped).
   */
  async refresh(): Promise<void> {
    const since = this.refreshedAt === null ? null : this.refreshedAt - REFRESH_OVERLAP_MS;
    const now = this.now();
    let q = this.db.selectFrom('devices').select(['user_id', 'device_id', 'registered_at']);
    if (since !== null) q = q.where('registered_at', '>=', since);
    const rows = await q.execute();
    for (const r of rows) this.registered(r.user_id, r.device_id, Number(r.registered_at));
    this.refreshedAt = now;
  }
}

const REFRESH_OVERLAP_MS = 60_000;

/**
 * Another replica's registrations and removals, as push's consumer meets them (this replica's own
 * are known since their commit). Touches no table: nothing to rebuild, nothing to roll back (a
 * batch applied again applies the same changes).
 */
export function deviceDirectoryReaction(directory: DeviceDirectory): Projection<'device.registered' | 'device.removed'> {
  return defineProjection({
    name: 'device_directory',
    sources: ['push'],
    tables: [],
    handles: ['device.registered', 'device.removed'],
    async apply(_trx, event) {
      if (event.type === 'device.registered') directory.registered(event.data.userId, event.data.deviceId, event.data.registeredAt);
      else directory.removed(event.data.userId, event.data.deviceId, event.data.removedAt);
    },
  });
}
