import { Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { BeforeApplicationShutdown } from '@nestjs/common';
import { Subscription } from '@nats-io/transport-node';
import { SseConnection } from './sse-connection';

interface OpenedNotice {
  gatewayId: string;
  connectionId: string;
  deviceId: string;
  openedAt: number;
}

/** Of two streams of one device opened on two gateways at once, the later one (then the greater id) stays. */
const olderThan = (s: SseConnection, n: OpenedNotice) => s.openedAt < n.openedAt || (s.openedAt === n.openedAt && s.id < n.connectionId);

/**
 * The open streams of this gateway, per user, oldest first. One stream per device: a new stream
 * of a device replaces its old one, here or on another gateway (told on the user's control
 * subject, which a gateway listens on only while it holds a stream of that user). At most
 * `maxPerUser` streams per user on one gateway: past it the oldest is replaced. On shutdown every
 * stream is ended with `shutdown` before the HTTP server closes, or closing would wait for them.
 */
export class StreamRegistry implements BeforeApplicationShutdown {
  private readonly byUser = new Map<string, { streams: SseConnection[]; control: Subscription }>();

  constructor(
    private readonly nats: Nats,
    private readonly subjects: Subjects,
    private readonly gatewayId: string,
    private readonly maxPerUser: number,
  ) {}

  /** Registers a stream about to open, replacing what it must. */
  add(conn: SseConnection): void {
    // In the list first, so the user's entry outlives the streams it replaces.
    const entry = this.entry(conn.userId);
    entry.streams.push(conn);
    for (const old of entry.streams.filter((s) => s !== conn && s.deviceId === conn.deviceId)) old.end({ event: 'replaced', reason: 'device' });
    while (entry.streams.length > this.maxPerUser) entry.streams.shift()!.end({ event: 'replaced', reason: 'limit' });
    const notice: OpenedNotice = { gatewayId: this.gatewayId, connectionId: conn.id, deviceId: conn.deviceId, openedAt: conn.openedAt };
    this.nats.nc.publish(this.subjects.streamControl(conn.userId), JSON.stringify(notice));
  }

  /** Called when a stream closed, whichever way. */
  remove(conn: SseConnection): void {
    const entry = this.byUser.get(conn.userId);
    if (!entry) return;
    const i = entry.streams.indexOf(conn);
    if (i >= 0) entry.streams.splice(i, 1);
    if (entry.streams.length > 0) return;
    entry.control.unsubscribe();
    this.byUser.delete(conn.userId);
  }

  count(userId: string): number {
    return this.byUser.get(userId)?.streams.length ?? 0;
  }

  beforeApplicationShutdown(): void {
    for (const { streams } of [...this.byUser.values()]) for (const s of [...streams]) s.end({ event: 'shutdown' });
  }

  private entry(userId: string) {
    let entry = this.byUser.get(userId);
    if (entry) return entry;
    const control = this.nats.nc.subscribe(this.subjects.streamControl(userId), {
      callback: (_e, m) => {
        const n = m.json<OpenedNotice>();
        if (n.gatewayId === this.gatewayId) return;
        for (const s of [...(this.byUser.get(userId)?.streams ?? [])]) if (s.deviceId === n.deviceId && olderThan(s, n)) s.end({ event: 'replaced', reason: 'device' });
      },
    });
    entry = { streams: [], control };
    this.byUser.set(userId, entry);
    return entry;
  }
}
