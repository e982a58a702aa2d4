/** A limiter with every slot taken and as many waiting as it queues: the caller should come back later. */
export class LimiterFull extends Error {
  constructor(
    readonly active: number,
    readonly waiting: number,
  ) {
    super(`${active} in flight and ${waiting} waiting`);
  }
}

/**
 * A counting semaphore whose waiters give up when their signal aborts (the request's deadline).
 * At most `maxWaiting` wait; one more is refused at once (LimiterFull).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly maxWaiting = Infinity,
  ) {}

  get idle(): boolean {
    return this.active === 0 && this.waiting.length === 0;
  }

  /** Resolves with a release function once a slot is free; rejects with the signal's reason. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.active < this.limit) return Promise.resolve(this.take());
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new LimiterFull(this.active, this.waiting.length));
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', giveUp);
        resolve(this.take());
      };
      const giveUp = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', giveUp, { once: true });
      this.waiting.push(grant);
    });
  }

  private take(): () => void {
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
      this.waiting.shift()?.();
    };
  }
}

/** One limiter per key (an origin), dropped when idle so the map holds only hosts in use. */
export class KeyedLimiter {
  private readonly limiters = new Map<string, Limiter>();

  constructor(
    private readonly limit: number,
    private readonly maxWaiting = Infinity,
  ) {}

  async acquire(key: string, signal: AbortSignal): Promise<() => void> {
    let limiter = this.limiters.get(key);
    if (!limiter) this.limiters.set(key, (limiter = new Limiter(this.limit, this.maxWaiting)));
    try {
      const release = await limiter.acquire(signal);
      return () => {
        release();
        this.forgetIfIdle(key, limiter);
      };
    } catch (e) {
      this.forgetIfIdle(key, limiter);
      throw e;
    }
  }

  private forgetIfIdle(key: string, limiter: Limiter): void {
    if (limiter.idle && this.limiters.get(key) === limiter) this.limiters.delete(key);
  }
}
