import { Client } from 'pg';
import { connectionConfig } from './connection';

/**
 * A dedicated connection that LISTENs on one channel and calls `onNotify` for each
 * notification; it reconnects (with `onNotify` once, since one may have been missed) when the
 * connection is lost. Lets a worker sleep until there is work instead of polling for it.
 */
export class NotificationListener {
  private client?: Client;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly url: string,
    private readonly schema: string,
    private readonly channel: string,
    private readonly onNotify: () => void,
    private readonly reconnectMs = 1_000,
  ) {}

  async start(): Promise<void> {
    const client = new Client(connectionConfig(this.url, this.schema));
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.onNotify());
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.start()
        .then(() => this.onNotify())
        .catch(() => this.scheduleReconnect());
    }, this.reconnectMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
