import { EventEnvelope, Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { createInbox, headers, Subscription } from '@nats-io/transport-node';

const ACK_TIMEOUT_MS = 10_000;

interface PubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code: number; description: string };
}

interface Pending {
  left: number;
  resolve(): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Writes what the gateways read. Stored deliveries go into the delivery stream on the user's
 * subject, the envelope as that user sees it (the original, but for a private conversation's
 * target named from the recipient's side), with message id `<event id>:<user>`, so a batch that
 * is redelivered (and published again) is deduplicated by the stream. Live-only events (status
 * messages) go out on core NATS and are never stored.
 *
 * A group message is one publish per recipient, so they are pipelined: every delivery is a core
 * publish whose reply subject is this publisher's ack inbox, and `deliver` resolves once the
 * stream acknowledged all of them (three times faster than one JetStream request each). One
 * connection's messages are stored in the order sent.
 */
export class DeliveryPublisher {
  /** Under this connection's inbox prefix: the only inboxes its NATS user may subscribe to. */
  private readonly inbox: string;
  private sub?: Subscription;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly nats: Nats,
    private readonly subjects: Subjects,
  ) {
    this.inbox = createInbox(nats.inboxPrefix);
  }

  /**
   * Resolves once the stream has stored every delivery, so the next event's land after them.
   * `seenBy` gives the envelope as each user sees it (see seen-by.ts); by default the event itself.
   */
  async deliver(event: EventEnvelope, userIds: string[], seenBy: (userId: string) => EventEnvelope = () => event): Promise<void> {
    if (userIds.length === 0) return;
    this.listen();
    const id = this.nextId++;
    const payloadOf = encoderFor(seenBy);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new Error(`delivery of ${event.id} not acknowledged within ${ACK_TIMEOUT_MS} ms`)), ACK_TIMEOUT_MS);
      this.pending.set(id, { left: userIds.length, resolve, reject, timer });
    });
    for (const u of userIds) {
      const h = headers();
      h.set('Nats-Msg-Id', `${event.id}:${u}`);
      this.nats.nc.publish(this.subjects.deliver(u), payloadOf(u), { headers: h, reply: `${this.inbox}.${id}` });
    }
    return done;
  }

  live(event: EventEnvelope, userIds: string[], seenBy: (userId: string) => EventEnvelope = () => event): void {
    const payloadOf = encoderFor(seenBy);
    for (const u of userIds) this.nats.nc.publish(this.subjects.live(u), payloadOf(u));
  }

  close(): void {
    this.sub?.unsubscribe();
    for (const id of [...this.pending.keys()]) this.settle(id, new Error('publisher closed'));
  }

  private listen(): void {
    this.sub ??= this.nats.nc.subscribe(`${this.inbox}.*`, {
      callback: (_e, m) => {
        const id = Number(m.subject.slice(this.inbox.length + 1));
        const p = this.pending.get(id);
        if (!p) return;
        const ack = m.data.length > 0 ? m.json<PubAck>() : { error: { code: 503, description: 'no stream answered' } };
        if (ack.error) return this.settle(id, new Error(`delivery refused: ${ack.error.description}`));
        if (--p.left === 0) this.settle(id);
      },
    });
  }

  private settle(id: number, error?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve();
  }
}

/** Encodes each distinct envelope once: a group message is one payload for every member. */
function encoderFor(seenBy: (userId: string) => EventEnvelope): (userId: string) => Uint8Array {
  const encoded = new Map<EventEnvelope, Uint8Array>();
  return (userId) => {
    const envelope = seenBy(userId);
    let bytes = encoded.get(envelope);
    if (!bytes) encoded.set(envelope, (bytes = new TextEncoder().encode(JSON.stringify(envelope))));
    return bytes;
  };
}
