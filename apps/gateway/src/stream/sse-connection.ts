import { Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { ServerResponse } from 'node:http';

/** One device's Server-Sent Events stream: its deliveries from JetStream, its live messages, heartbeats. */
export interface SseOptions {
  nats: Nats;
  subjects: Subjects;
  userId: string;
  /** Resume after this delivery sequence (the last SSE id the device saw). */
  lastEventId: number | null;
  heartbeatMs: number;
}

export class SseConnection {
  private closed = false;
  private stopConsumer?: () => void;
  private unsubscribeLive?: () => void;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    private readonly o: SseOptions,
  ) {}

  /** Opens the stream; resolves when the device is subscribed, so nothing sent after is missed. */
  async open(): Promise<void> {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // Live messages are core NATS: the subscription must reach the server before the device
    // sees the stream open (the first write sends the headers), or a status message sent right
    // after would find nobody listening.
    this.subscribeLive();
    await this.o.nats.nc.flush();
    this.res.write(': connected\n\n');
    await this.consumeDeliveries();
    this.heartbeat = setInterval(() => this.res.write(': heartbeat\n\n'), this.o.heartbeatMs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.stopConsumer?.();
    this.unsubscribeLive?.();
    if (!this.res.writableEnded) this.res.end();
  }

  /** Status messages: never stored, never replayed, so they carry no SSE id. */
  private subscribeLive(): void {
    const sub = this.o.nats.nc.subscribe(this.o.subjects.live(this.o.userId), {
      callback: (_e, m) => this.send(null, m.string()),
    });
    this.unsubscribeLive = () => sub.unsubscribe();
  }

  /**
   * An ordered consumer of this user's deliveries: in order, no gaps (it recreates itself on
   * one), from just after Last-Event-ID, or for a fresh stream from just after the stream's
   * last sequence when we asked: a "deliver new" policy would miss what arrives while the
   * consumer is being created.
   */
  private async consumeDeliveries(): Promise<void> {
    const { js, jsm } = this.o.nats;
    const stream = this.o.subjects.deliveryStream();
    const after = this.o.lastEventId ?? (await jsm.streams.info(stream)).state.last_seq;
    const consumer = await js.consumers.get(stream, {
      filter_subjects: this.o.subjects.deliver(this.o.userId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: after + 1,
    });
    const messages = await consumer.consume();
    this.stopConsumer = () => void messages.close().catch(() => undefined);
    void (async () => {
      for await (const m of messages) this.send(m.seq, m.string());
    })().catch(() => this.close());
  }

  private send(id: number | null, envelopeJson: string): void {
    if (this.closed) return;
    let type = 'message';
    try {
      type = (JSON.parse(envelopeJson) as { type?: string }).type ?? type;
    } catch {
      /* deliveries are envelopes; anything else goes out as a plain message */
    }
    this.res.write(`${id !== null ? `id: ${id}\n` : ''}event: ${type}\ndata: ${envelopeJson}\n\n`);
  }
}
