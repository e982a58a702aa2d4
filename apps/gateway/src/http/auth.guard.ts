import { Actor, Errors } from '@im/contracts';
import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { resolveActor } from '../auth/actor';
import { GatewayConfig } from '../gateway.config';
import { GATEWAY_CONFIG } from '../tokens';

const ACCESS = 'im:access';
type Access = 'public' | 'server' | 'any';

/** No credentials needed (health, docs). */
export const Public = () => SetMetadata(ACCESS, 'public' satisfies Access);
/** The app backend's server key only; a user token is refused with 403. */
export const ServerKeyOnly = () => SetMetadata(ACCESS, 'server' satisfies Access);

/** Resolves the caller once per request and enforces the route's access level. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const access = this.reflector.getAllAndOverride<Access>(ACCESS, [ctx.getHandler(), ctx.getClass()]) ?? 'any';
    if (access === 'public') return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string>; actor?: Actor }>();
    const actor = resolveActor(req.headers, this.config, Date.now());
    if (access === 'server' && !actor.isServer) throw Errors.forbidden('this endpoint needs the server key');
    req.actor = actor;
    return true;
  }
}

/** The resolved caller of this request. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ actor: Actor }>().actor;
});

export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['idempotency-key'];
  if (value !== undefined && (value.length === 0 || value.length > 128)) {
    throw Errors.validation([{ path: 'Idempotency-Key', message: '1 to 128 characters' }], 'Idempotency-Key must be 1 to 128 characters');
  }
  return value;
});
