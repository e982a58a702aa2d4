import { Actor } from '@im/contracts';
import { createHash } from 'node:crypto';

/**
 * The rules of the gateway's Idempotency-Key, kept pure: what a key's remembered entry means
 * for a request that arrives with it. The store (idempotency.store.ts) keeps the entries, the
 * gate (idempotency.gate.ts) applies the decision.
 */

/** What is remembered under one (credential, key). */
export type IdempotencyEntry =
  /** The first request is running (on some gateway replica) since `at`. */
  | { state: 'running'; fingerprint: string; at: number }
  /** Its answer, replayed to every retry. */
  | { state: 'done'; fingerprint: string; at: number; status: number; body: unknown }
  /** The first request ended in an answer not worth keeping (a 5xx, a 429): the next one runs. */
  | { state: 'released'; at: number };

export type IdempotencyDecision =
  | { kind: 'run' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'reused' }
  | { kind: 'in-flight' };

export interface IdempotencyTimes {
  /** How long an answer is replayed (24 h). */
  ttlMs: number;
  /**
   * A `running` entry older than this belongs to a gateway that died mid-request: the key is
   * free again. Well past the RPC timeout, so a live request is never run twice.
   */
  abandonedMs: number;
}

export function decideIdempotency(entry: IdempotencyEntry | null, fingerprint: string, now: number, t: IdempotencyTimes): IdempotencyDecision {
  if (!entry || entry.state === 'released' || now - entry.at >= t.ttlMs) return { kind: 'run' };
  if (entry.state === 'running' && now - entry.at >= t.abandonedMs) return { kind: 'run' };
  if (entry.fingerprint !== fingerprint) return { kind: 'reused' };
  return entry.state === 'done' ? { kind: 'replay', status: entry.status, body: entry.body } : { kind: 'in-flight' };
}

/**
 * Answers a retry should get again: successes and the caller's own mistakes. Not a 5xx or a
 * timeout (the work may not have happened: the retry runs, and the services' own guards make
 * sends and payments exactly-once), nor a 408/429 that asked the caller to come back later.
 */
export function isRemembered(status: number): boolean {
  return (status >= 200 && status < 300) || (status >= 400 && status < 500 && status !== 408 && status !== 429);
}

/** Keys belong to a credential: the server key acting as a user (or as itself), or a user token's user. */
export function scopeOf(actor: Actor): string {
  return actor.isServer ? `server:${actor.userId ?? ''}` : `user:${actor.userId}`;
}

/** The subject token a key is stored under: hashed, so any key (and any user id) fits. */
export function keyHash(scope: string, key: string): string {
  return sha256(`${scope}\u0000${key}`);
}

/** The request a key was first used for: method, path with query, and the body (key order ignored). */
export function fingerprintOf(method: string, url: string, body: unknown): string {
  return sha256(`${method.toUpperCase()} ${url}\n${canonicalJson(body)}`);
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
