import { Actor, EntityId, Errors } from '@im/contracts';
import { timingSafeEqual } from 'node:crypto';
import { GatewayConfig } from '../gateway.config';
import { TokenClaims, verifyUserToken } from './user-token';

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
  const claims = verifiedClaims(credential, config, nowMs);
  if (!claims) throw Errors.unauthorized('Invalid or expired token');
  return { userId: claims.sub, isServer: false };
}

/** Tokens remembered per gateway config (its secrets): a client's token is verified once, not per request. */
const VERIFIED_CAPACITY = 10_000;
const verified = new WeakMap<GatewayConfig, Map<string, TokenClaims>>();

/**
 * The claims of a genuine token, from the HMAC the first time and from memory after that (the
 * HMAC was ~4 % of the gateway's CPU per request under load); expiry is checked on every use.
 * Rotation: new tokens are signed with the current secret; the previous ones still verify.
 */
function verifiedClaims(token: string, config: GatewayConfig, nowMs: number): TokenClaims | null {
  let known = verified.get(config);
  if (!known) verified.set(config, (known = new Map()));
  const hit = known.get(token);
  if (hit) return hit.exp > nowMs ? hit : null;
  const claims = [config.tokenSecret, ...config.previousTokenSecrets].reduce<TokenClaims | null>(
    (found, secret) => found ?? verifyUserToken(token, secret, nowMs),
    null,
  );
  if (claims) {
    // Oldest first out: a bounded map, not a leak.
    if (known.size >= VERIFIED_CAPACITY) known.delete(known.keys().next().value!);
    known.set(token, claims);
  }
  return claims;
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
