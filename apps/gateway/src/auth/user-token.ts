import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed user tokens: `v1.<payload>.<signature>`, payload `{ sub, exp }` in base64url and an
 * HMAC-SHA256 of it with the token secret. Pure functions, time passed in.
 */
export interface TokenClaims {
  sub: string;
  /** Expiry, epoch milliseconds. */
  exp: number;
}

export function signUserToken(claims: TokenClaims, secret: string): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `v1.${payload}.${mac(payload, secret)}`;
}

/** The claims of a genuine, unexpired token; null for anything else. */
export function verifyUserToken(token: string, secret: string, nowMs: number): TokenClaims | null {
  const [version, payload, signature, ...rest] = token.split('.');
  if (version !== 'v1' || !payload || !signature || rest.length > 0) return null;
  const expected = Buffer.from(mac(payload, secret));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number' || claims.exp <= nowMs) return null;
    return claims;
  } catch {
    return null;
  }
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}
