/**
 * Token buckets per credential, pure and in memory: each caller's bucket holds up to `burst`
 * tokens and refills at `perSecond`; a request takes one. Kept per gateway replica (N replicas
 * behind a balancer allow up to N times the rate): a shared counter would add a round trip to
 * every request for a limit whose job is to stop one client from taking all capacity.
 */
export interface BucketLimit {
  perSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Buckets remembered at most; the least recently used are forgotten first (a forgotten bucket is full). */
const CAPACITY = 100_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** Takes one token from `caller`'s bucket at `nowMs`, or says when the next one will be there. */
  take(caller: string, limit: BucketLimit, nowMs: number): Admission {
    const bucket = this.refilled(caller, limit, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    // Whole seconds (Retry-After is an integer), at least one.
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  }

  private refilled(caller: string, limit: BucketLimit, nowMs: number): Bucket {
    const seen = this.buckets.get(caller);
    const bucket = seen ?? { tokens: limit.burst, at: nowMs };
    // A clock moved backwards refills nothing and takes nothing back.
    const elapsed = Math.max(0, nowMs - bucket.at) / 1000;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.perSecond);
    bucket.at = Math.max(bucket.at, nowMs);
    this.buckets.delete(caller);
    this.buckets.set(caller, bucket);
    if (this.buckets.size > CAPACITY) this.buckets.delete(this.buckets.keys().next().value!);
    return bucket;
  }
}
