import { Subjects } from '@im/contracts';
import { NatsConnection, Subscription } from '@nats-io/transport-node';

/**
 * Presence without shared storage: every gateway announces, on `<prefix>.presence`, the users
 * with a live stream on it: the full list every few seconds, and at once on a change. Anyone
 * who cares (the push service) keeps a board of the latest announcement of each gateway and
 * forgets a gateway that fell silent. A newcomer asks on `<prefix>.presence.sync` for an
 * immediate announcement instead of waiting.
 */
export interface PresenceAnnouncement {
  gatewayId: string;
  userIds: string[];
  at: number;
}

export const PRESENCE_INTERVAL_MS = 5_000;
/** A gateway silent for this long is gone, and so are its users' streams. */
export const PRESENCE_EXPIRY_MS = 3 * PRESENCE_INTERVAL_MS;
/** How long `PresenceBoard.recentlyOnline` remembers a user after their last announcement. */
export const LAST_SEEN_KEEP_MS = 60 * 60 * 1000;

/** The gateway side: counts live streams per user and announces them. */
export class PresenceReporter {
  private readonly streams = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private sync?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    readonly gatewayId: string,
    private readonly intervalMs = PRESENCE_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.announce(), this.intervalMs);
    this.sync = this.nc.subscribe(this.subjects.presenceSync(), { callback: () => this.announce() });
    this.announce();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sync?.unsubscribe();
    this.streams.clear();
    this.announce();
  }

  opened(userId: string): void {
    const n = this.streams.get(userId) ?? 0;
    this.streams.set(userId, n + 1);
    if (n === 0) this.announce();
  }

  closed(userId: string): void {
    const n = (this.streams.get(userId) ?? 1) - 1;
    if (n > 0) return void this.streams.set(userId, n);
    this.streams.delete(userId);
    this.announce();
  }

  get online(): string[] {
    return [...this.streams.keys()];
  }

  /** Streams open on this gateway, all users together (a gauge). */
  get openStreams(): number {
    let n = 0;
    for (const count of this.streams.values()) n += count;
    return n;
  }

  private announce(): void {
    if (this.nc.isClosed()) return;
    const a: PresenceAnnouncement = { gatewayId: this.gatewayId, userIds: this.online, at: Date.now() };
    this.nc.publish(this.subjects.presence(), JSON.stringify(a));
  }
}

/** The listening side: is this user on a live stream right now, on any gateway? */
export class PresenceBoard {
  private readonly gateways = new Map<string, { users: Set<string>; seen: number }>();
  /** When each user was last announced with a live stream, for `recentlyOnline`. */
  private readonly lastSeen = new Map<string, number>();
  private lastPruned = 0;
  private sub?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(this.subjects.presence(), {
      callback: (_e, m) => {
        const a = m.json<PresenceAnnouncement>();
        const now = this.now();
        this.gateways.set(a.gatewayId, { users: new Set(a.userIds), seen: now });
        for (const u of a.userIds) this.lastSeen.set(u, now);
        this.prune(now);
      },
    });
    this.nc.publish(this.subjects.presenceSync());
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  isOnline(userId: string): boolean {
    const now = this.now();
    for (const [id, g] of this.gateways) {
      if (now - g.seen > PRESENCE_EXPIRY_MS) this.gateways.delete(id);
      else if (g.users.has(userId)) return true;
    }
    return false;
  }

  /**
   * Online now, or announced within the last `withinMs`: a device that dropped a moment ago
   * will resume with Last-Event-ID and must find what it missed. Forgotten after `LAST_SEEN_KEEP_MS`.
   */
  recentlyOnline(userId: string, withinMs: number): boolean {
    if (this.isOnline(userId)) return true;
    const seen = this.lastSeen.get(userId);
    return seen !== undefined && this.now() - seen <= Math.min(withinMs, LAST_SEEN_KEEP_MS);
  }

  /**
   * Everyone `recentlyOnline` would say yes to, as a list: the fan-out asks a group's membership
   * about these users only, so members who are not around cost nothing per message.
   */
  recentUsers(withinMs: number): string[] {
    const now = this.now();
    const window = Math.min(withinMs, LAST_SEEN_KEEP_MS);
    const users = new Set<string>();
    for (const [u, seen] of this.lastSeen) if (now - seen <= window) users.add(u);
    for (const [id, g] of this.gateways) {
      if (now - g.seen > PRESENCE_EXPIRY_MS) this.gateways.delete(id);
      else g.users.forEach((u) => users.add(u));
    }
    return [...users];
  }

  /** At most once a minute: drop users not announced for `LAST_SEEN_KEEP_MS`, so the map stays bounded. */
  private prune(now: number): void {
    if (now - this.lastPruned < 60_000) return;
    this.lastPruned = now;
    for (const [u, seen] of this.lastSeen) if (now - seen > LAST_SEEN_KEEP_MS) this.lastSeen.delete(u);
  }

  /** Waits until announcements arrived (or a short while passed) after start. */
  async settled(ms = 200): Promise<void> {
    await this.nc.flush();
    await new Promise((r) => setTimeout(r, ms));
  }
}
