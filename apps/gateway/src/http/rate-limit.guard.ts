import { Actor, Errors } from '@im/contracts';
import { Clock } from '@im/service-kit';
import { GatewayConfig } from '../gateway.config';
import { BucketLimit, RateLimiter } from './rate-limit';

/**
 * Rate limits per credential, after authentication (edge.ts runs it after `authorize`): each user
 * token's user has a bucket, the server key one bucket for all its calls (whatever X-User-Id).
 * Public routes (/health, /docs, /metrics) carry no actor and are never limited. Over the limit:
 * 429 RATE_LIMITED with Retry-After, before any service or the idempotency store is asked.
 */
export class RateLimitGuard {
  private readonly user: BucketLimit;
  private readonly server: BucketLimit;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    config: GatewayConfig,
  ) {
    this.user = { perSecond: config.rateLimitUserPerSecond, burst: config.rateLimitUserBurst };
    this.server = { perSecond: config.rateLimitServerPerSecond, burst: config.rateLimitServerBurst };
  }

  /** Throws 429 when the actor is over its limit; no actor (a public route) is never limited. */
  check(actor: Actor | undefined): void {
    if (!actor) return;
    const [caller, limit] = actor.isServer ? ['server', this.server] : [`user:${actor.userId}`, this.user];
    const admission = this.limiter.take(caller, limit, this.clock.now().getTime());
    if (admission.ok) return;
    const who = actor.isServer ? 'the server key' : 'this user';
    throw Errors.rateLimited(`${who} is over ${limit.perSecond} requests per second (burst ${limit.burst})`, admission.retryAfterSeconds);
  }
}
