import { Actor, Errors } from '@im/contracts';
import { Clock } from '@im/service-kit';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { GatewayConfig } from '../gateway.config';
import { GATEWAY_CLOCK, GATEWAY_CONFIG, RATE_LIMITER } from '../tokens';
import { BucketLimit, RateLimiter } from './rate-limit';

/**
 * Rate limits per credential, after authentication (registered after AuthGuard): each user
 * token's user has a bucket, the server key one bucket for all its calls (whatever X-User-Id).
 * Public routes (/health, /docs, /metrics) carry no actor and are never limited. Over the limit:
 * 429 RATE_LIMITED with Retry-After, before any service or the idempotency store is asked.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly user: BucketLimit;
  private readonly server: BucketLimit;

  constructor(
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.user = { perSecond: config.rateLimitUserPerSecond, burst: config.rateLimitUserBurst };
    this.server = { perSecond: config.rateLimitServerPerSecond, burst: config.rateLimitServerBurst };
  }

  canActivate(ctx: ExecutionContext): boolean {
    const actor = ctx.switchToHttp().getRequest<{ actor?: Actor }>().actor;
    if (!actor) return true;
    const [caller, limit] = actor.isServer ? ['server', this.server] : [`user:${actor.userId}`, this.user];
    const admission = this.limiter.take(caller, limit, this.clock.now().getTime());
    if (admission.ok) return true;
    const who = actor.isServer ? 'the server key' : 'this user';
    throw Errors.rateLimited(`${who} is over ${limit.perSecond} requests per second (burst ${limit.burst})`, admission.retryAfterSeconds);
  }
}
