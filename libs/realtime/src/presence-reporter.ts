import { Subjects } from '@im/contracts';
import { NatsConnection, Subscription } from '@nats-io/transport-node';
import { chunkIds, PresenceAnnouncement } from './presence-announcement';
import { PRESENCE_CHUNK_BYTES, PRESENCE_INTERVAL_MS } from './presence-constants';

export interface PresenceReporterOptions {
  intervalMs?: number;
  /** Each message stays under this many bytes. */
  chunkBytes?: number;
}

/**
 * The gateway side: counts live streams per user and device, and announces the users. A user is
 * online while any of their devices has a stream; streams are counted (not just devices) because
 * a device's new stream opens before its replaced one has finished closing.
 */
export class PresenceReporter {
  /** user -> device -> open streams */
  private readonly streams = new Map<string, Map<string, number>>();
  /** Users whose online state changed since the last delta, with their state now. */
  private readonly changed = new Map<string, boolean>();
  private flushScheduled = false;
  private round = 0;
  private timer?: NodeJS.Timeout;
  private sync?: Subscription;
  private readonly intervalMs: number;
  private readonly chunkBytes: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    readonly gatewayId: string,
    options: PresenceReporterOptions | number = {},
  ) {
    const o = typeof options === 'number' ? { intervalMs: options } : options;
    this.intervalMs = o.intervalMs ?? PRESENCE_INTERVAL_MS;
    this.chunkBytes = o.chunkBytes ?? PRESENCE_CHUNK_BYTES;
  }

  start(): void {
    this.timer = setInterval(() => this.announce(), this.intervalMs);
    this.sync = this.nc.subscribe(this.subjects.presenceSync(), { callback: () => this.announce() });
    this.announce();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sync?.unsubscribe();
    this.streams.clear();
    this.changed.clear();
    this.announce();
  }

  opened(userId: string, deviceId = ''): void {
    const devices = this.streams.get(userId) ?? new Map<string, number>();
    if (devices.size === 0) this.changedTo(userId, true);
    devices.set(deviceId, (devices.get(deviceId) ?? 0) + 1);
    this.streams.set(userId, devices);
  }

  closed(userId: string, deviceId = ''): void {
    const devices = this.streams.get(userId);
    const n = devices?.get(deviceId);
    if (!devices || n === undefined) return;
    if (n > 1) return void devices.set(deviceId, n - 1);
    devices.delete(deviceId);
    if (devices.size > 0) return;
    this.streams.delete(userId);
    this.changedTo(userId, false);
  }

  /** How many distinct devices of this user have a stream on this gateway. */
  devices(userId: string): number {
    return this.streams.get(userId)?.size ?? 0;
  }

  get online(): string[] {
    return [...this.streams.keys()];
  }

  /** Streams open on this gateway, all users together (a gauge). */
  get openStreams(): number {
    let n = 0;
    for (const devices of this.streams.values()) for (const count of devices.values()) n += count;
    return n;
  }

  /** Changes within one tick (a burst of connects) go out as one delta. */
  private changedTo(userId: string, online: boolean): void {
    this.changed.set(userId, online);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushDelta());
  }

  private flushDelta(): void {
    this.flushScheduled = false;
    const online: string[] = [];
    const offline: string[] = [];
    for (const [u, on] of this.changed) (on ? online : offline).push(u);
    this.changed.clear();
    for (const ids of chunkIds(online, this.chunkBytes)) this.publish({ kind: 'delta', gatewayId: this.gatewayId, at: Date.now(), online: ids, offline: [] });
    for (const ids of chunkIds(offline, this.chunkBytes)) this.publish({ kind: 'delta', gatewayId: this.gatewayId, at: Date.now(), online: [], offline: ids });
  }

  private announce(): void {
    const round = ++this.round;
    const chunks = chunkIds(this.online, this.chunkBytes);
    if (chunks.length === 0) chunks.push([]);
    const at = Date.now();
    chunks.forEach((userIds, part) => this.publish({ kind: 'full', gatewayId: this.gatewayId, at, round, part, parts: chunks.length, userIds }));
  }

  private publish(a: PresenceAnnouncement): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(this.subjects.presence(), JSON.stringify(a));
  }
}
