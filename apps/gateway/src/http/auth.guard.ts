import { Actor, Errors } from '@im/contracts';
import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyRequest } from 'fastify';
import { resolveActor } from '../auth/actor';
import { GatewayConfig } from '../gateway.config';

const ACCESS = 'im:access';
export type Access = 'public' | 'server' | 'any';

/** No credentials needed (health, docs). */
export const Public = () => accessDecorator('public');
/** The app backend's server key only; a user token is refused with 403. */
export const ServerKeyOnly = () => accessDecorator('server');

/**
 * The route's access level travels in its Fastify route config (`routeOptions.config.access`),
 * where the edge hooks (edge.ts) read it without Nest's guard chain. On a class it applies to
 * every method that has no level of its own (method decorators run first), as Reflector's
 * getAllAndOverride(handler, class) did.
 */
function accessDecorator(level: Access): ClassDecorator & MethodDecorator {
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      setAccess(descriptor.value as object, level);
      return descriptor;
    }
    const proto = (target as { prototype: object }).prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const fn = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
      if (name !== 'constructor' && typeof fn === 'function' && Reflect.getMetadata(ACCESS, fn) === undefined) setAccess(fn, level);
    }
  }) as ClassDecorator & MethodDecorator;
}

function setAccess(handler: object, level: Access): void {
  Reflect.defineMetadata(ACCESS, level, handler);
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined) ?? {};
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, access: level }, handler);
}

export function accessOf(req: FastifyRequest): Access {
  return (req.routeOptions.config as { access?: Access } | undefined)?.access ?? 'any';
}

/** Resolves the caller once per request and enforces the route's access level; public routes get no actor. */
export function authorize(req: FastifyRequest & { actor?: Actor }, config: GatewayConfig): void {
  const access = accessOf(req);
  if (access === 'public') return;
  const actor = resolveActor(req.headers, config, Date.now());
  if (access === 'server' && !actor.isServer) throw Errors.forbidden('this endpoint needs the server key');
  req.actor = actor;
}

/** The resolved caller of this request. */
export const Caller = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  return ctx.switchToHttp().getRequest<{ actor: Actor }>().actor;
});

export const IdempotencyKey = createParamDecorator((_: unknown, ctx: ExecutionContext): string | undefined => {
  const value = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['idempotency-key'];
  if (value !== undefined && (value.length === 0 || value.length > 128)) throw invalidIdempotencyKey();
  return value;
});

export function invalidIdempotencyKey() {
  return Errors.validation([{ path: 'Idempotency-Key', message: '1 to 128 characters' }], 'Idempotency-Key must be 1 to 128 characters');
}
