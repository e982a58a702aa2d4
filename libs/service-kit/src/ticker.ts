import { Logger } from '@nestjs/common';

/**
 * Background work on a timer, for workers that scan the database (due red packets, the push
 * outbox): starts once the service is ready (its migrations ran), runs one round at a time,
 * logs a failed round and goes on, and on stop waits for the round in flight.
 */
export class Ticker {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    name: string,
    private readonly intervalMs: number,
    private readonly round: () => Promise<unknown>,
  ) {
    this.logger = new Logger(name);
  }

  start(ready: Promise<void>): void {
    void ready.then(() => {
      if (this.stopped) return;
      this.timer = setInterval(() => {
        if (this.running) return;
        this.running = this.round()
          .catch((e) => this.logger.warn(`round failed: ${(e as Error).message}`))
          .finally(() => (this.running = undefined));
      }, this.intervalMs);
    });
  }

  /** True once stopping: a long round may end early. */
  get stopping(): boolean {
    return this.stopped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
