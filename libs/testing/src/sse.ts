/** A minimal Server-Sent Events client for tests and benchmarks, on fetch's streaming body. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: any;
  receivedAt: number;
}

export class SseClient {
  readonly events: SseEvent[] = [];
  /** Comment lines seen (the greeting and heartbeats). */
  comments = 0;
  /** The server ended the stream (not our own close). */
  ended = false;
  private readonly controller = new AbortController();
  private waiters: Array<() => void> = [];
  done?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Resolves once the server accepted the stream (its first comment line arrived). */
  async open(): Promise<void> {
    const res = await fetch(this.url, { headers: { accept: 'text/event-stream', ...this.headers }, signal: this.controller.signal });
    if (res.status !== 200) throw new Error(`stream refused: ${res.status} ${await res.text()}`);
    const reader = res.body!.getReader();
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => (opened = r));
    this.done = this.read(reader, opened).catch(() => undefined);
    await isOpen;
  }

  close(): void {
    this.controller.abort();
  }

  get lastId(): string | null {
    return [...this.events].reverse().find((e) => e.id !== null)?.id ?? null;
  }

  /** Waits until `count` events arrived. */
  async waitFor(count: number, timeoutMs = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${this.events.length}: ${JSON.stringify(this.events.map((e) => e.event))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.events;
  }

  /** Waits until the server ended the stream. */
  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`the stream did not end within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>, opened: () => void): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        this.ended = true;
        this.waiters.splice(0).forEach((w) => w());
        return;
      }
      buffer += decoder.decode(value, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        this.frame(buffer.slice(0, cut), opened);
        buffer = buffer.slice(cut + 2);
      }
    }
  }

  private frame(text: string, opened: () => void): void {
    const fields: Record<string, string> = {};
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) {
        this.comments += 1;
        opened();
        continue;
      }
      const i = line.indexOf(':');
      fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
    }
    if (fields.data === undefined) return;
    this.events.push({ id: fields.id ?? null, event: fields.event ?? 'message', data: JSON.parse(fields.data), receivedAt: Date.now() });
    this.waiters.splice(0).forEach((w) => w());
  }
}
