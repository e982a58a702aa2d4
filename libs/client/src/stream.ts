import { ImApiError, Transport } from './transport';

/** One Server-Sent Event: `id` is its delivery sequence (null for live-only status messages). */
export interface StreamEvent {
  id: string | null;
  /** The event type: `message.sent`, `message.recalled`, ... */
  event: string;
  /** The event's envelope, parsed from JSON. */
  data: unknown;
}

export interface StreamOptions {
  /** This device's own name (one stream per device). */
  deviceId: string;
  /** Resume after this id (the last one this device saw): everything after it is replayed, in order. */
  lastEventId?: string;
  onEvent(event: StreamEvent): void;
  /** Each time a connection is refused or breaks; the stream reconnects unless it was a 4xx. */
  onError?(error: unknown): void;
  /** The wait before reconnecting (default 1000 ms; a `retry:` line from the server changes it). */
  reconnectDelayMs?: number;
}

export interface StreamHandle {
  /** Resolves once the first connection is subscribed: what is sent after that arrives. */
  readonly opened: Promise<void>;
  /** The last id received: a reconnect (this one's, or a later `stream()`'s) resumes after it. */
  readonly lastEventId: string | null;
  close(): void;
}

/**
 * SSE over fetch (so the Authorization header can be sent, which EventSource cannot), reconnecting
 * with `Last-Event-ID` after a break: nothing delivered while it was away is lost.
 */
export function openStream(transport: Transport, options: StreamOptions): StreamHandle {
  const controller = new AbortController();
  let lastEventId = options.lastEventId ?? null;
  let delay = options.reconnectDelayMs ?? 1000;
  let opened!: () => void;
  const openedPromise = new Promise<void>((r) => (opened = r));

  const connect = async (): Promise<'retry' | 'stop'> => {
    const headers: Record<string, string> = { ...transport.authHeaders(), accept: 'text/event-stream' };
    if (lastEventId !== null) headers['last-event-id'] = lastEventId;
    const res = await (transport.options.fetch ?? fetch)(transport.url('/v1/stream', { deviceId: options.deviceId }), { headers, signal: controller.signal });
    if (res.status !== 200) {
      const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      options.onError?.(new ImApiError(res.status, body.error?.code ?? 'HTTP_ERROR', body.error?.message ?? res.statusText));
      return res.status >= 400 && res.status < 500 ? 'stop' : 'retry';
    }
    const parser = new SseParser({
      comment: () => opened(),
      retry: (ms) => (delay = ms),
      event: (e) => {
        if (e.id !== null) lastEventId = e.id;
        options.onEvent(e);
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
    return 'retry';
  };

  void (async () => {
    while (!controller.signal.aborted) {
      const next = await connect().catch((e: unknown) => {
        if (!controller.signal.aborted) options.onError?.(e);
        return 'retry' as const;
      });
      if (next === 'stop' || controller.signal.aborted) return;
      await new Promise((r) => setTimeout(r, delay));
    }
  })();

  return {
    opened: openedPromise,
    get lastEventId() {
      return lastEventId;
    },
    close: () => controller.abort(),
  };
}

/** The text/event-stream format: frames split by a blank line, `field: value` lines, `:` comments. */
class SseParser {
  private buffer = '';

  constructor(private readonly on: { comment(): void; retry(ms: number): void; event(e: StreamEvent): void }) {}

  push(text: string): void {
    this.buffer += text.replace(/\r\n?/g, '\n');
    let cut: number;
    while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
      this.frame(this.buffer.slice(0, cut));
      this.buffer = this.buffer.slice(cut + 2);
    }
  }

  private frame(text: string): void {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) {
        this.on.comment();
        continue;
      }
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) this.on.retry(Number(value));
    }
    if (data.length === 0) return;
    const raw = data.join('\n');
    let parsed: unknown = raw;
    try {
      parsed = JSON.parse(raw);
    } catch {
      /* not JSON: hand over the text */
    }
    this.on.event({ id, event, data: parsed });
  }
}
