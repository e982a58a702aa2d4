import { Subjects } from '@im/contracts';
import { NatsConnection, Subscription } from '@nats-io/transport-node';
import { PresenceAnnouncement, readAnnouncement } from './presence-announcement';
import { LAST_SEEN_KEEP_MS, PRESENCE_EXPIRY_MS } from './presence-constants';

interface GatewayEntry {
  users: Set<string>;
  seen: number;
  /** The parts of a full announcement received so far, swapped in once all arrived. */
  pending?: { round: number; users: Set<string>; got: number };
}

export interface PresenceBoardOptions {
  /**
   * Called, before the board counts them as around, with users who come online after being away
   * longer than `arrivalWindowMs` (or unknown to this board): whatever was fanned out meanwhile
   * was not kept for them. The push service marks their delivery stream there (a resync).
   */
  onArrival?: (userIds: string[], announcedAt: number) => void;
  arrivalWindowMs?: number;
}

/** The listening side: is this user on a live stream right now, on any gateway? */
export class PresenceBoard {
  private readonly gateways = new Map<string, GatewayEntry>();
  /** When each user was last announced with a live stream, for `recentlyOnline`. */
  private readonly lastSeen = new Map<string, number>();
  private lastPruned = 0;
  private sub?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly now: () => number = Date.now,
    private readonly options: PresenceBoardOptions = {},
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(this.subjects.presence(), {
      callback: (_e, m) => {
        let a: PresenceAnnouncement | null = null;
        try {
          a = readAnnouncement(m.json());
        } catch {
          /* not an announcement: ignored */
        }
        if (a) this.take(a);
      },
    });
    this.nc.publish(this.subjects.presenceSync());
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  /** Applies one announcement (exposed for tests that feed the board by hand). */
  take(a: PresenceAnnouncement): void {
    const now = this.now();
    const g = this.gateways.get(a.gatewayId) ?? { users: new Set<string>(), seen: now };
    this.gateways.set(a.gatewayId, g);
    const arriving = a.kind === 'full' ? a.userIds : a.online;
    this.arrive(arriving, now, a.at);
    g.seen = now;
    if (a.kind === 'delta') {
      a.online.forEach((u) => g.users.add(u));
      a.offline.forEach((u) => g.users.delete(u));
    } else {
      if (!g.pending || g.pending.round !== a.round) g.pending = { round: a.round, users: new Set(), got: 0 };
      a.userIds.forEach((u) => g.pending!.users.add(u));
      if (++g.pending.got >= a.parts) {
        g.users = g.pending.users;
        g.pending = undefined;
      }
    }
    for (const u of arriving) this.lastSeen.set(u, now);
    this.prune(now);
  }

  isOnline(userId: string): boolean {
    const now = this.now();
    for (const [id, g] of this.gateways) {
      if (now - g.seen > PRESENCE_EXPIRY_MS) this.gateways.delete(id);
      else if (g.users.has(userId) || g.pending?.users.has(userId)) return true;
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

  /** Waits until announcements arrived (or a short while passed) after start. */
  async settled(ms = 200): Promise<void> {
    await this.nc.flush();
    await new Promise((r) => setTimeout(r, ms));
  }

  /** Tells `onArrival` about users who were away (checked before they are counted as around). */
  private arrive(userIds: string[], now: number, at: number): void {
    const { onArrival, arrivalWindowMs } = this.options;
    if (!onArrival || arrivalWindowMs === undefined) return;
    const back = userIds.filter((u) => {
      const seen = this.lastSeen.get(u);
      return (seen === undefined || now - seen > arrivalWindowMs) && !this.isOnline(u);
    });
    if (back.length > 0) onArrival(back, at);
  }

  /** At most once a minute: drop users not announced for `LAST_SEEN_KEEP_MS`, so the map stays bounded. */
  private prune(now: number): void {
    if (now - this.lastPruned < 60_000) return;
    this.lastPruned = now;
    for (const [u, seen] of this.lastSeen) if (now - seen > LAST_SEEN_KEEP_MS) this.lastSeen.delete(u);
  }
}
