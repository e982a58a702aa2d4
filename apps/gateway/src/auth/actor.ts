import { Actor, EntityId, Errors } from '@im/contracts';
import { timingSafeEqual } from 'node:crypto';
import { GatewayConfig } from '../gateway.config';
import { verifyUserToken } from './user-token';

/**
 * Who is calling: `Authorization: Bearer <server key>` acts as the app backend (and as
 * `X-User-Id` where a user is needed); a user token acts as its user. Anything else is a 401.
 */
export function resolveActor(headers: Record<string, string | string[] | undefined>, config: GatewayConfig, nowMs: number): Actor {
  const auth = header(headers, 'authorization');
  const match = auth?.match(/^Bearer\s+(\S+)$/i);
  if (!match) throw Errors.unauthorized();
  const credential = match[1];
  if (sameSecret(credential, config.apiKey)) {
    const userId = header(headers, 'x-user-id');
    if (userId !== undefined && !EntityId.safeParse(userId).success) {
      throw Errors.validation([{ path: 'X-User-Id', message: 'not a valid user id' }], 'X-User-Id is not a valid user id');
    }
    return { userId: userId ?? null, isServer: true };
  }
  // Rotation: new tokens are signed with the current secret; the previous one still verifies.
  const claims = [config.tokenSecret, ...config.previousTokenSecrets].reduce<ReturnType<typeof verifyUserToken>>(
    (found, secret) => found ?? verifyUserToken(credential, secret, nowMs),
    null,
  );
  if (!claims) throw Errors.unauthorized('Invalid or expired token');
  return { userId: claims.sub, isServer: false };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
