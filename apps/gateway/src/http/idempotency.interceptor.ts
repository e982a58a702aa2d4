import { Actor, AppError, ErrorBody, Errors } from '@im/contracts';
import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { Clock } from '@im/service-kit';
import { GatewayConfig } from '../gateway.config';
import { GATEWAY_CLOCK, GATEWAY_CONFIG, IDEMPOTENCY_STORE } from '../tokens';
import { toErrorBody } from './error-mapping';
import { decideIdempotency, fingerprintOf, IdempotencyEntry, IdempotencyTimes, isRemembered, keyHash, scopeOf } from './idempotency';
import { IdempotencyStore } from './idempotency.store';

/** Methods that create or change something: every one honours the header. */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A running entry this old was left by a gateway that died: its key may run again. */
const ABANDONED_MS = 60_000;
/** The header on a replayed answer. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

type Request = FastifyRequest & { actor?: Actor };

/**
 * Idempotency-Key on every write, at the gateway, before any service (and so before any access
 * check) sees the request: a retry gets the first answer (status and body, with
 * `Idempotent-Replayed: true`) even when the caller has since lost access; the same key for
 * another request is 422 IDEMPOTENCY_KEY_REUSED; a retry while the first is still running is
 * 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After (answered at once rather than held: a client
 * that times out and retries should not pile up waiting requests). Keys are per credential and
 * kept `idempotencyTtlSeconds` (24 h). The services' own keys for sends and red packet creation
 * stay the durable guard behind this one (a 5xx here is not remembered, so its retry runs again).
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('idempotency');
  private readonly times: IdempotencyTimes;

  constructor(
    private readonly reflector: Reflector,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.times = { ttlMs: config.idempotencyTtlSeconds * 1000, abandonedMs: ABANDONED_MS };
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<Request>();
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !WRITES.has(req.method) || !req.actor) return next.handle();
    if (key.length === 0 || key.length > 128) {
      throw Errors.validation([{ path: 'Idempotency-Key', message: '1 to 128 characters' }], 'Idempotency-Key must be 1 to 128 characters');
    }
    return defer(() => this.once(ctx, req, keyHash(scopeOf(req.actor!), key), next));
  }

  private async once(ctx: ExecutionContext, req: Request, hash: string, next: CallHandler): Promise<unknown> {
    const fingerprint = fingerprintOf(req.method, req.url, req.body);
    const turn = await this.acquire(hash, fingerprint);
    if ('replay' in turn) return this.replay(ctx, turn.replay);
    try {
      const result = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.finish(hash, turn.seq, { state: 'done', fingerprint, at: this.now(), status: this.successStatus(ctx, req), body: result ?? null });
      return result;
    } catch (e) {
      const error = toErrorBody(e);
      const entry: IdempotencyEntry = isRemembered(error.status)
        ? { state: 'done', fingerprint, at: this.now(), status: error.status, body: error }
        : { state: 'released', at: this.now() };
      await this.finish(hash, turn.seq, entry);
      throw e;
    }
  }

  /** Takes the key for this request (compare-and-set), or says what answers it instead. */
  private async acquire(hash: string, fingerprint: string): Promise<{ seq: number } | { replay: { status: number; body: unknown } }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await this.guard(() => this.store.get(hash));
      const now = this.now();
      const d = decideIdempotency(stored?.entry ?? null, fingerprint, now, this.times);
      if (d.kind === 'replay') return { replay: d };
      if (d.kind === 'reused') throw Errors.idempotencyKeyReused();
      if (d.kind === 'in-flight') throw Errors.idempotencyKeyInFlight();
      const seq = await this.guard(() => this.store.put(hash, { state: 'running', fingerprint, at: now }, stored?.seq ?? 0));
      if (seq !== null) return { seq };
      // Another request took the key between our read and our write: look again.
    }
    throw Errors.idempotencyKeyInFlight();
  }

  private replay(ctx: ExecutionContext, answer: { status: number; body: unknown }): unknown {
    void ctx.switchToHttp().getResponse<FastifyReply>().header(REPLAYED_HEADER, 'true');
    if (answer.status >= 400) throw AppError.fromBody(answer.body as ErrorBody);
    return answer.body;
  }

  /** The answer is the caller's whatever happens here: a store that failed only costs the replay. */
  private async finish(hash: string, seq: number, entry: IdempotencyEntry): Promise<void> {
    await this.store.put(hash, entry, seq).then(
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

  private successStatus(ctx: ExecutionContext, req: Request): number {
    return this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler()) ?? (req.method === 'POST' ? 201 : 200);
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}
