import { EventEnvelope, Subjects } from '@im/contracts';
import { jetstream } from '@nats-io/jetstream';
import { NatsConnection } from '@nats-io/transport-node';

/** Collects what one user's delivery subject stored (an ordered consumer filtered to that user). */
export class DeliveryTap {
  readonly events: EventEnvelope<any>[] = [];
  private stopFn?: () => void;

  static async open(nc: NatsConnection, subjects: Subjects, userId: string): Promise<DeliveryTap> {
    const tap = new DeliveryTap();
    const consumer = await jetstream(nc).consumers.get(subjects.deliveryStream(), { filter_subjects: subjects.deliver(userId) });
    const messages = await consumer.consume();
    tap.stopFn = () => messages.stop();
    void (async () => {
      for await (const m of messages) tap.events.push(m.json());
    })();
    return tap;
  }

  types(filter: (e: EventEnvelope<any>) => boolean = () => true): string[] {
    return this.events.filter(filter).map((e) => e.type);
  }

  stop(): void {
    this.stopFn?.();
  }
}

/** Collects live-only deliveries (status messages) on a user's core NATS subject. */
export function liveTap(nc: NatsConnection, subjects: Subjects, userId: string): EventEnvelope<any>[] {
  const got: EventEnvelope<any>[] = [];
  nc.subscribe(subjects.live(userId), { callback: (_e, m) => void got.push(m.json()) });
  return got;
}
