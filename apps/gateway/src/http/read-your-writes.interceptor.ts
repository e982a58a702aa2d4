import { rpcContext } from '@im/eventstore';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';

/** How long after a write the same caller's reads wait for the copies: well past the lag target. */
const WINDOW_MS = 10_000;
/** Callers remembered at most (the oldest forgotten first): a bounded map, not a leak. */
const CAPACITY = 100_000;

/**
 * Reads by the writer see the write. A caller (one credential, one X-User-Id) that has just
 * written gets its reads of the next few seconds answered after the services' copies caught up
 * with what their owners had committed (the read barrier, behind `{ consistent: true }`); other
 * callers' reads, and everyone's commands, go straight through. Kept per gateway process: a
 * client that spreads one conversation over several gateways should stick to one.
 */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  private readonly lastWrite = new Map<string, number>();

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest>();
    const caller = `${req.headers.authorization ?? ''}\u0000${req.headers['x-user-id'] ?? ''}`;
    if (req.method !== 'GET') return next.handle().pipe(tap(() => this.wrote(caller)));
    const at = this.lastWrite.get(caller);
    if (at === undefined || Date.now() - at > WINDOW_MS) return next.handle();
    return new Observable((subscriber) => rpcContext.run({ consistent: true }, () => next.handle().subscribe(subscriber)));
  }

  private wrote(caller: string): void {
    this.lastWrite.delete(caller);
    this.lastWrite.set(caller, Date.now());
    if (this.lastWrite.size > CAPACITY) this.lastWrite.delete(this.lastWrite.keys().next().value!);
  }
}
