import type { Actor } from './api';
import { Errors } from './errors';

/** The user a call acts as: the token's user, or `X-User-Id` with the server key. */
export function actingUser(actor: Actor): string {
  if (actor.userId) return actor.userId;
  throw Errors.validation([{ path: 'X-User-Id', message: 'required with the server key' }], 'X-User-Id header is required');
}
