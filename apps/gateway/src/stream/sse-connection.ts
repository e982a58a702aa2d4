import { Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { RESYNC_MARKER_TYPE, ResyncReason } from '@im/realtime';
import { DeliverPolicy } from '@nats-io/jetstream';
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ResumeRequest, startAfter } from './resume-point';

/** One device's Server-Sent Events stream: its deliveries from JetStream, its live messages, heartbeats. */
export interface SseOptions {
  nats: Nats;
  subjects: Subjects;
  userId: string;
  deviceId: string;
  resume: ResumeRequest;
  heartbeatMs: number;
  /** Unsent bytes past this: a slow reader, disconnected. */
  maxBufferedBytes: number;
  /** A full socket that does not drain within this: disconnected. */
  drainTimeoutMs: number;
  /** Headers the framework prepared for this reply (CORS), sent with ours. */
  headers: OutgoingHttpHeaders;
  /**
   * Called once the device's place in its deliveries is fixed, before the greeting: announcing
   * the user to push any earlier could have push's resync marker for them stored before that
   * place, where this stream would never read it.
   */
  onSubscribed: () => void;
  /** Called once, however the stream ends. */
  onClose: () => void;
}

/** Why the server ends a stream with an event: another stream took its place, or the gateway stops. */
export type EndEvent = { event: 'replaced'; reason: 'device' | 'limit' } | { event: 'shutdown' };

export class SseConnection {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  private closed = false;
  private stopConsumer?: () => void;
  private unsubscribeLive?: () => void;
  private heartbeat?: NodeJS.Timeout;
  private drainTimer?: NodeJS.Timeout;

  constructor(
    private readonly res: ServerResponse,
    readonly o: SseOptions,
  ) {}

  get userId(): string {
    return this.o.userId;
  }

  get deviceId(): string {
    return this.o.deviceId;
  }

  /** Opens the stream; resolves (and greets) when the device is subscribed, so nothing sent after is missed. */
  async open(): Promise<void> {
    this.res.writeHead(200, {
      ...this.o.headers,
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
    await this.consumeDeliveries();
    if (this.closed) return;
    this.o.onSubscribed();
    // Only now: a client that waits for this line misses nothing sent after it.
    this.write(': connected\n\n');
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), this.o.heartbeatMs);
  }

  /** Says why (an SSE event the client can act on), then closes. */
  end(why: EndEvent): void {
    if (this.closed) return;
    const data = why.event === 'replaced' ? { reason: why.reason } : {};
    this.write(`event: ${why.event}\ndata: ${JSON.stringify(data)}\n\n`);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.drainTimer);
    this.stopConsumer?.();
    this.unsubscribeLive?.();
    // A stream's connection is never reused: once what is written has gone out, let go of the
    // socket too, or an idle keep-alive socket a client never closes holds up the server's close.
    const socket = this.res.socket;
    if (!this.res.writableEnded) this.res.end(() => socket?.destroy());
    else socket?.destroy();
    this.o.onClose();
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
   * consumer is being created. A Last-Event-ID it cannot replay from is answered with `resync`
   * first, and the stream goes on live from there.
   */
  private async consumeDeliveries(): Promise<void> {
    const { js, jsm } = this.o.nats;
    const stream = this.o.subjects.deliveryStream();
    const start = startAfter(this.o.resume, (await jsm.streams.info(stream)).state);
    if (start.resync) this.resync(null, start.resync);
    const consumer = await js.consumers.get(stream, {
      filter_subjects: this.o.subjects.deliver(this.o.userId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start.after + 1,
    });
    const messages = await consumer.consume();
    this.stopConsumer = () => void messages.close().catch(() => undefined);
    if (this.closed) this.stopConsumer();
    void (async () => {
      for await (const m of messages) this.send(m.seq, m.string());
    })().catch(() => this.close());
  }

  private send(id: number | null, envelopeJson: string): void {
    let parsed: { type?: string; data?: { reason?: ResyncReason } } = {};
    try {
      parsed = JSON.parse(envelopeJson) as typeof parsed;
    } catch {
      /* deliveries are envelopes; anything else goes out as a plain message */
    }
    if (parsed.type === RESYNC_MARKER_TYPE) return this.resync(id, parsed.data?.reason ?? 'not_kept');
    this.write(`${id !== null ? `id: ${id}\n` : ''}event: ${parsed.type ?? 'message'}\ndata: ${envelopeJson}\n\n`);
  }

  /** The client refetches conversations and history; an id (a stored marker) moves its resume point past it. */
  private resync(id: number | null, reason: ResyncReason): void {
    this.write(`${id !== null ? `id: ${id}\n` : ''}event: resync\ndata: ${JSON.stringify({ reason })}\n\n`);
  }

  /**
   * Every write goes through here. Node buffers what the socket cannot take; a reader that
   * stops reading would make that grow without end, so past `maxBufferedBytes`, or when the
   * socket has not drained for `drainTimeoutMs`, the stream is cut (the device resumes with
   * Last-Event-ID when it is ready).
   */
  private write(text: string): void {
    if (this.closed) return;
    if (this.res.write(text)) return;
    if (this.res.writableLength > this.o.maxBufferedBytes) return this.disconnect();
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => this.disconnect(), this.o.drainTimeoutMs);
    this.res.once('drain', () => {
      clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
    });
  }

  /** Nothing more can reach a reader this far behind: drop the socket and what is queued for it. */
  private disconnect(): void {
    this.close();
    this.res.destroy();
  }
}
