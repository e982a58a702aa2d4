import { AsyncLocalStorage } from 'node:async_hooks';
import {
  AppError,
  assertSafeInput,
  errorBody,
  Errors,
  isInternalMethod,
  parseOrThrow,
  RPC,
  RpcMethod,
  RpcParsed,
  RpcReply,
  RpcRequest,
  RpcResponse,
  ServiceName,
  Subjects,
} from '@im/contracts';
import { createInbox, headers, Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { currentTraceparent, openSpan, parseTraceparent, RpcObserver, traceStore } from '@im/observability';
import { COPY_MISS_CODES, ReadBarrier } from './barrier';
import { z } from 'zod';
import { inputErrorOf } from './input-errors';
import { Logger } from './logger';

/** NATS's default max_payload: used until the server's INFO says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** The largest message this connection may publish (the server's max_payload). */
export function maxPayloadOf(nc: NatsConnection): number {
  return nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
}

export type RpcHandler<S extends ServiceName, M extends RpcMethod<S>> = (req: RpcParsed<S, M>) => Promise<RpcReply<S, M>>;
export type RpcHandlers<S extends ServiceName> = { [M in RpcMethod<S>]: RpcHandler<S, M> };

/** Plumbing that only services ask (the read barrier's): not answered on the gateway's subjects. */
const INTERNAL_ONLY = new Set(['position']);

function answeredForGateway(method: string): boolean {
  return !INTERNAL_ONLY.has(method);
}

/**
 * Answers a service's request/reply methods on `im.rpc.<service>.<method>` (the gateway's) and,
 * for those in INTERNAL_RPC, on `im.internal.<service>.<method>` (other services'), in a queue group,
 * so replicas share the load. Every request is checked for unsafe strings and validated against
 * its schema in the contracts; errors travel back as named codes, and an unexpected one as a 500
 * without internals. Nothing a request does can throw out of here: a reply too big for one NATS
 * message is answered with REPLY_TOO_LARGE, and a failure to respond is logged.
 */
export class RpcServer<S extends ServiceName> {
  private subs: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly service: S,
    private readonly logger?: Logger,
    /** The service's copies of other logs: consulted before a copy's "not found" is believed. */
    private readonly barrier?: ReadBarrier,
    /** Told of every request handled (metrics, the debug line), inside the request's trace. */
    private readonly observe?: RpcObserver,
  ) {}

  listen(handlers: RpcHandlers<S>, extra: Record<string, () => Promise<unknown>> = {}): void {
    const schemas = RPC[this.service] as Record<string, z.ZodType>;
    for (const [method, handler] of Object.entries(handlers) as [string, (r: unknown) => Promise<unknown>][]) {
      this.on(method, (payload) => handler(parseOrThrow(schemas[method], payload)));
    }
    // The service's own plumbing (health, position) never waits on a barrier.
    for (const [method, handler] of Object.entries(extra)) this.on(method, () => handler(), false);
  }

  /** Subscribes the method on each subject it is answered on: from the gateway, from other services, or both. */
  private on(method: string, handle: (payload: unknown) => Promise<unknown>, barriered = true): void {
    const subjects = [
      ...(answeredForGateway(method) ? [this.subjects.rpc(this.service, method)] : []),
      ...(isInternalMethod(this.service, method) ? [this.subjects.internal(this.service, method)] : []),
    ];
    for (const subject of subjects) this.subs.push(this.subscribe(subject, method, handle, barriered));
  }

  private subscribe(subject: string, method: string, handle: (payload: unknown) => Promise<unknown>, barriered: boolean): Subscription {
    return this.nc.subscribe(subject, {
      queue: `${this.subjects.prefix}-${this.service}`,
      callback: (err, msg) => {
        if (err) {
          this.logger?.warn(`${this.service}.${method} subscription error: ${err.message}`);
          return;
        }
        // `answer` and `respond` catch everything; the last catch is so no request can ever end the process.
        const barrier = barriered ? this.barrier : undefined;
        const started = performance.now();
        const name = `${this.service}.${method}`;
        // The caller's trace (a traceparent header), continued in a span of this service's handling.
        const span = openSpan(this.service, `rpc ${name}`, parseTraceparent(msg.headers?.get(TRACEPARENT_HEADER)), 'server', { 'rpc.method': name });
        void traceStore
          .run(span.ctx, async () => {
            const reply = await this.answer(method, msg.data, handle, barrier, msg.headers?.get(CONSISTENT_HEADER) === '1');
            this.respond(method, msg, reply);
            const outcome = reply.ok ? 'ok' : reply.error.code;
            this.observe?.(name, outcome, (performance.now() - started) / 1000);
            span.end(reply.ok || reply.error.status < 500 ? undefined : outcome, { 'rpc.outcome': outcome });
          })
          .catch((e) => this.logger?.error(`${name}: ${(e as Error)?.stack ?? e}`));
      },
    });
  }

  /**
   * The read barrier lives here, once for every method: a request that asked to be consistent
   * (a writer reading back) waits for the copies first; any other is answered at once, and only
   * a refusal a copy behind could have caused (COPY_MISS_CODES) is tried again after the copies
   * caught up with their owners. A refusal has changed nothing, so trying again is safe.
   */
  private async answer(
    method: string,
    data: Uint8Array,
    handle: (payload: unknown) => Promise<unknown>,
    barrier: ReadBarrier | undefined,
    consistent: boolean,
  ): Promise<RpcResponse<unknown>> {
    try {
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(data).toString('utf8'));
      } catch {
        throw Errors.validation([], 'request body is not JSON');
      }
      // A service does not trust its callers (on an open NATS anyone can publish here): the gateway's edge check again.
      assertSafeInput(payload, '');
      const synced = consistent && barrier?.active ? await barrier.sync().then(() => true) : false;
      try {
        return { ok: true, result: await handlerBarrier.run(barrier, () => handle(payload)) };
      } catch (e) {
        if (synced || !barrier?.active || !(e instanceof AppError) || !COPY_MISS_CODES.has(e.code)) throw e;
        await barrier.sync();
        return { ok: true, result: await handle(payload) };
      }
    } catch (e) {
      return this.failure(method, e);
    }
  }

  private failure(method: string, e: unknown): RpcResponse<never> {
    if (e instanceof AppError) return { ok: false, error: e.toBody() };
    const fromInput = inputErrorOf(e);
    if (fromInput) return { ok: false, error: fromInput.toBody() };
    this.logger?.error(`${this.service}.${method} failed: ${(e as Error)?.stack ?? e}`);
    return { ok: false, error: INTERNAL };
  }

  /** Sends the reply if it fits in one NATS message, an error reply if not; never throws. */
  private respond(method: string, msg: Msg, reply: RpcResponse<unknown>): void {
    try {
      const limit = maxPayloadOf(this.nc);
      let data = encode(reply, (e) => this.failure(method, e));
      if (data.byteLength > limit) {
        this.logger?.warn(`${this.service}.${method}: reply of ${data.byteLength} bytes exceeds max_payload ${limit}; answered REPLY_TOO_LARGE`);
        data = encode({ ok: false, error: Errors.replyTooLarge(data.byteLength, limit).toBody() });
      }
      if (!msg.respond(data)) this.logger?.warn(`${this.service}.${method}: request had no reply subject`);
    } catch (e) {
      this.logger?.error(`${this.service}.${method}: could not respond: ${(e as Error)?.stack ?? e}`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
  }
}

const INTERNAL = errorBody('INTERNAL', 'internal error');

/** JSON bytes of a reply; a reply JSON cannot represent (a BigInt, a cycle) becomes `fallback`. */
function encode(reply: RpcResponse<unknown>, fallback?: (e: unknown) => RpcResponse<unknown>): Uint8Array {
  try {
    return Buffer.from(JSON.stringify(reply), 'utf8');
  } catch (e) {
    if (!fallback) throw e;
    return Buffer.from(JSON.stringify(fallback(e)), 'utf8');
  }
}

/** The NATS header a consistent request carries (the caller reads back its own writes). */
const CONSISTENT_HEADER = 'Im-Consistent';
/** The W3C trace context, under its HTTP name. */
export const TRACEPARENT_HEADER = 'traceparent';

/** The request's headers: the caller's trace and whether it reads its own writes; none when neither. */
function requestHeaders(consistent: boolean): MsgHdrs | undefined {
  const traceparent = currentTraceparent();
  if (!consistent && !traceparent) return undefined;
  const h = headers();
  if (consistent) h.set(CONSISTENT_HEADER, '1');
  if (traceparent) h.set(TRACEPARENT_HEADER, traceparent);
  return h;
}

/**
 * What the caller of an RPC asks beyond its payload, for everything it calls while handling
 * one request: the gateway runs a writer's reads inside `{ consistent: true }`.
 */
export const rpcContext = new AsyncLocalStorage<{ consistent?: boolean }>();

/** The barrier of the request a handler is answering (see `catchUpWithOwners`). */
const handlerBarrier = new AsyncLocalStorage<ReadBarrier | undefined>();

/**
 * For a command that a copy behind would wrongly let through (a member removed a moment ago
 * claiming a red packet): waits until this service's copies of `owner`'s log have what it had
 * committed, so every write it answered before this command counts. Shared between concurrent
 * callers (`ReadBarrier.syncShared`); outside an RPC handler, or without copies, it returns at once.
 */
export async function catchUpWithOwner(owner: ServiceName): Promise<void> {
  const barrier = handlerBarrier.getStore();
  if (barrier?.active) await barrier.syncShared(owner);
}

/**
 * Calls a service method and returns its result, or throws its named error. The gateway's client
 * asks on `im.rpc.*`; a service's (`RpcClient.internal`) on `im.internal.*`, and only for the
 * methods INTERNAL_RPC lists. Replies come back through one ReplyMux per client (one
 * subscription, one timer), not one nc.request() each.
 */
export class RpcClient {
  private readonly mux: ReplyMux;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly timeoutMs = 10_000,
    private readonly route: 'gateway' | 'internal' = 'gateway',
    /** Told of every call (the gateway's client-side metrics). */
    private readonly observe?: RpcObserver,
  ) {
    this.mux = new ReplyMux(nc);
  }

  /** The client one service uses to ask another. */
  static internal(nc: NatsConnection, subjects: Subjects, timeoutMs?: number): RpcClient {
    return new RpcClient(nc, subjects, timeoutMs, 'internal');
  }

  private subject(service: ServiceName, method: string): string {
    if (this.route === 'gateway') return this.subjects.rpc(service, method);
    // A programming error, not a request's: the method must be added to INTERNAL_RPC (and so to nats.conf).
    if (!isInternalMethod(service, method)) throw new Error(`${service}.${method} is not in INTERNAL_RPC`);
    return this.subjects.internal(service, method);
  }

  async call<S extends ServiceName, M extends RpcMethod<S>>(service: S, method: M, req: RpcRequest<S, M>): Promise<RpcReply<S, M>> {
    return (await this.raw(service, method, req)) as RpcReply<S, M>;
  }

  async raw(service: ServiceName, method: string, req: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    if (!this.observe) return this.send(service, method, req, timeoutMs);
    const started = performance.now();
    let outcome = 'ok';
    try {
      return await this.send(service, method, req, timeoutMs);
    } catch (e) {
      outcome = e instanceof AppError ? e.code : 'INTERNAL';
      throw e;
    } finally {
      this.observe(`${service}.${method}`, outcome, (performance.now() - started) / 1000);
    }
  }

  private async send(service: ServiceName, method: string, req: unknown, timeoutMs: number): Promise<unknown> {
    const subject = this.subject(service, method);
    const data = Buffer.from(JSON.stringify(req), 'utf8');
    // NATS would refuse to publish it: the caller sent too much, not a service that is down.
    const limit = maxPayloadOf(this.nc);
    if (data.byteLength > limit) throw Errors.tooLarge('request', limit);
    const consistent = rpcContext.getStore()?.consistent === true;
    const reply = await this.mux.request(subject, data, requestHeaders(consistent), timeoutMs).catch((e: Error) => {
      throw Errors.unavailable(`${service} did not answer (${e.message})`);
    });
    const body = JSON.parse(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength).toString('utf8')) as RpcResponse<unknown>;
    if (body.ok) return body.result;
    throw AppError.fromBody(body.error);
  }
}

/** How often the timer looks for calls past their deadline: a timeout is answered at most this late. */
const TICK_MS = 50;

interface Pending {
  subject: string;
  resolve(data: Uint8Array): void;
  reject(e: Error): void;
}

/** A failure the caller turns into its 503: plain, no stack wanted (one per timed-out call). */
function failure(message: string): Error {
  const e = new Error(message);
  e.stack = message;
  return e;
}

/**
 * Request/reply over one subscription on this connection's inbox (`<inboxPrefix>.<nuid>.*`):
 * each call is a token in a map and a slot in one timer wheel, where nc.request() built a
 * request object with two Errors (and their stack traces) per call (~6 % of the gateway's CPU
 * under the send load). Calls made in one turn of the event loop are published together at its
 * end (setImmediate), so NATS gets one socket write for all of them instead of one per call
 * (writeBuffer from nats-core's flushPending was 14 % of the gateway's busy time). A 503 status
 * reply with no data is NATS saying no service listens: refused at once, as nc.request() did.
 */
class ReplyMux {
  private inbox?: string;
  private nextToken = 0;
  private readonly pending = new Map<string, Pending>();
  /** Tokens by the tick their deadline falls in; answered ones are skipped when their tick comes. */
  private readonly wheel = new Map<number, string[]>();
  private sweptTick = 0;
  private ticker?: NodeJS.Timeout;
  private outbox: Array<{ subject: string; data: Uint8Array; reply: string; headers?: MsgHdrs }> = [];

  constructor(private readonly nc: NatsConnection) {}

  request(subject: string, data: Uint8Array, headers: MsgHdrs | undefined, timeoutMs: number): Promise<Uint8Array> {
    if (this.nc.isClosed() || this.nc.isDraining()) return Promise.reject(failure('connection closed'));
    const inbox = this.inbox ?? this.start();
    const token = (this.nextToken++).toString(36);
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(token, { subject, resolve, reject });
      this.schedule(token, timeoutMs);
      if (this.outbox.push({ subject, data, reply: inbox + token, headers }) === 1) setImmediate(() => this.publishAll());
    });
  }

  private start(): string {
    const prefix = (this.nc as unknown as { options?: { inboxPrefix?: string } }).options?.inboxPrefix;
    const inbox = `${createInbox(prefix)}.`;
    this.nc.subscribe(`${inbox}*`, { callback: (err, msg) => (err ? this.failAll(err.message) : this.deliver(msg)) });
    void this.nc.closed().then(() => this.failAll('connection closed'));
    this.inbox = inbox;
    return inbox;
  }

  private publishAll(): void {
    const batch = this.outbox;
    this.outbox = [];
    for (const m of batch) {
      try {
        this.nc.publish(m.subject, m.data, m.headers ? { reply: m.reply, headers: m.headers } : { reply: m.reply });
      } catch (e) {
        this.settle(m.reply.slice(this.inbox!.length))?.reject(failure((e as Error).message));
      }
    }
  }

  private deliver(msg: Msg): void {
    const p = this.settle(msg.subject.slice(this.inbox!.length));
    if (!p) return; // answered after its timeout, or twice
    if (msg.data.length === 0 && msg.headers?.code === 503) p.reject(failure(`no responders: '${p.subject}'`));
    else p.resolve(msg.data);
  }

  private settle(token: string): Pending | undefined {
    const p = this.pending.get(token);
    if (p) this.pending.delete(token);
    return p;
  }

  private schedule(token: string, timeoutMs: number): void {
    const tick = Math.ceil((Date.now() + timeoutMs) / TICK_MS);
    const slot = this.wheel.get(tick);
    if (slot) slot.push(token);
    else this.wheel.set(tick, [token]);
    if (!this.ticker) {
      this.sweptTick = Math.floor(Date.now() / TICK_MS);
      this.ticker = setInterval(() => this.sweep(), TICK_MS);
      this.ticker.unref();
    }
  }

  /** Times out every call whose tick has passed; stops the timer when nothing waits. */
  private sweep(): void {
    const now = Math.floor(Date.now() / TICK_MS);
    for (let t = this.sweptTick + 1; t <= now; t++) {
      const tokens = this.wheel.get(t);
      if (!tokens) continue;
      this.wheel.delete(t);
      for (const token of tokens) this.settle(token)?.reject(failure('timeout'));
    }
    this.sweptTick = now;
    if (this.pending.size === 0) {
      // What is left are the ticks of answered calls.
      this.wheel.clear();
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private failAll(message: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(failure(message));
  }
}
