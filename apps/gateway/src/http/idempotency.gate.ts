import { Actor, ErrorBody, Errors } from '@im/contracts';
import { Logger } from '@nestjs/common';
import { Clock } from '@im/service-kit';
import { GatewayConfig } from '../gateway.config';
import { invalidIdempotencyKey } from './auth.guard';
import { decideIdempotency, fingerprintOf, IdempotencyEntry, IdempotencyTimes, isRemembered, keyHash, scopeOf } from './idempotency';
import { IdempotencyStore } from './idempotency.store';

/** Methods that create or change something: every one honours the header. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A running entry this old was left by a gateway that died: its key may run again. */
const ABANDONED_MS = 60_000;
/** The header on a replayed answer. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export interface IdempotentRequest {
  method: string;
  url: string;
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  actor?: Actor;
}

/** A key taken for a request that now runs: what `finish` needs to remember its answer. */
export interface Turn {
  hash: string;
  seq: number;
  fingerprint: string;
}

/**
 * Idempotency-Key on every write, at the gateway, before any service (and so before any access
 * check) sees the request: a retry gets the first answer (status and body, with
 * `Idempotent-Replayed: true`) even when the caller has since lost access; the same key for
 * another request is 422 IDEMPOTENCY_KEY_REUSED; a retry while the first is still running is
 * 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After (answered at once rather than held: a client
 * that times out and retries should not pile up waiting requests). Keys are per credential and
 * kept `idempotencyTtlSeconds` (24 h). The services' own keys for sends and red packet creation
 * stay the durable guard behind this one (a 5xx here is not remembered, so its retry runs again).
 * edge.ts calls `begin` before the handler and `finish` with the answer it sent.
 */
export class IdempotencyGate {
  private readonly logger = new Logger('idempotency');
  private readonly times: IdempotencyTimes;

  constructor(
    private readonly store: IdempotencyStore,
    private readonly clock: Clock,
    config: GatewayConfig,
  ) {
    this.times = { ttlMs: config.idempotencyTtlSeconds * 1000, abandonedMs: ABANDONED_MS };
  }

  /** Whether this request carries a key the gateway honours (a write by an authenticated caller). */
  applies(req: IdempotentRequest): boolean {
    return typeof req.headers['idempotency-key'] === 'string' && WRITES.has(req.method) && req.actor !== undefined;
  }

  /** Takes the key for this request (compare-and-set), or says what answers it instead. */
  async begin(req: IdempotentRequest): Promise<{ turn: Turn } | { replay: { status: number; body: unknown } }> {
    const key = req.headers['idempotency-key'] as string;
    if (key.length === 0 || key.length > 128) throw invalidIdempotencyKey();
    const hash = keyHash(scopeOf(req.actor!), key);
    const fingerprint = fingerprintOf(req.method, req.url, req.body);
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.guard(() => this.store.get(hash));
      const now = this.now();
      const d = decideIdempotency(stored?.entry ?? null, fingerprint, now, this.times);
      if (d.kind === 'replay') return { replay: d };
      if (d.kind === 'reused') throw Errors.idempotencyKeyReused();
      if (d.kind === 'in-flight') throw Errors.idempotencyKeyInFlight();
      const seq = await this.guard(() => this.store.put(hash, { state: 'running', fingerprint, at: now }, stored?.seq ?? 0));
      if (seq !== null) return { turn: { hash, seq, fingerprint } };
      // Another request took the key between our read and our write: look again.
    }
    throw Errors.idempotencyKeyInFlight();
  }

  /**
   * Remembers the answer the request got: a success's body, the caller's own mistake as its
   * error; anything else releases the key. The answer is the caller's whatever happens here: a
   * store that failed only costs the replay.
   */
  async finish(turn: Turn, status: number, body: unknown): Promise<void> {
    const at = this.now();
    const entry: IdempotencyEntry =
      status < 400
        ? { state: 'done', fingerprint: turn.fingerprint, at, status, body: body ?? null }
        : isRemembered(status)
          ? { state: 'done', fingerprint: turn.fingerprint, at, status, body: errorBodyOf(status, body) }
          : { state: 'released', at };
    await this.store.put(turn.hash, entry, turn.seq).then(
      (written) => written === null && this.logger.warn('an Idempotency-Key was taken over while its request ran'),
      (e) => this.logger.warn(`could not remember an answer: ${(e as Error).message}`),
    );
  }

  /** Without the store the promise cannot be kept: refused before anything ran. */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      this.logger.warn(`idempotency store: ${(e as Error).message}`);
      throw Errors.unavailable('the idempotency store did not answer');
    }
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

/** The error JSON the caller got (`{ error: { code, message, details? } }`) as the ErrorBody a replay throws again. */
function errorBodyOf(status: number, sent: unknown): ErrorBody {
  const e = (sent as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  return { code: (e?.code ?? 'INTERNAL') as ErrorBody['code'], message: e?.message ?? '', status, details: e?.details };
}
