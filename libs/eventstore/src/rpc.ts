import {
  AppError,
  assertSafeInput,
  Errors,
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
import { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
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

/**
 * Answers a service's request/reply methods on `im.rpc.<service>.<method>` in a queue group,
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
  ) {}

  listen(handlers: RpcHandlers<S>, extra: Record<string, () => Promise<unknown>> = {}): void {
    const schemas = RPC[this.service] as Record<string, z.ZodType>;
    for (const [method, handler] of Object.entries(handlers) as [string, (r: unknown) => Promise<unknown>][]) {
      this.on(method, (payload) => handler(parseOrThrow(schemas[method], payload)));
    }
    for (const [method, handler] of Object.entries(extra)) this.on(method, () => handler());
  }

  private on(method: string, handle: (payload: unknown) => Promise<unknown>): void {
    const sub = this.nc.subscribe(this.subjects.rpc(this.service, method), {
      queue: `${this.subjects.prefix}-${this.service}`,
      callback: (err, msg) => {
        if (err) {
          this.logger?.warn(`${this.service}.${method} subscription error: ${err.message}`);
          return;
        }
        // `answer` and `respond` catch everything; the last catch is so no request can ever end the process.
        void this.answer(method, msg.data, handle)
          .then((reply) => this.respond(method, msg, reply))
          .catch((e) => this.logger?.error(`${this.service}.${method}: ${(e as Error)?.stack ?? e}`));
      },
    });
    this.subs.push(sub);
  }

  private async answer(method: string, data: Uint8Array, handle: (payload: unknown) => Promise<unknown>): Promise<RpcResponse<unknown>> {
    try {
      let payload: unknown;
      try {
        payload = JSON.parse(Buffer.from(data).toString('utf8'));
      } catch {
        throw Errors.validation([], 'request body is not JSON');
      }
      // Anyone can publish on an RPC subject, not only the gateway: the same edge check here.
      assertSafeInput(payload, '');
      return { ok: true, result: await handle(payload) };
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

const INTERNAL = { code: 'INTERNAL', message: 'internal error', status: 500 } as const;

/** JSON bytes of a reply; a reply JSON cannot represent (a BigInt, a cycle) becomes `fallback`. */
function encode(reply: RpcResponse<unknown>, fallback?: (e: unknown) => RpcResponse<unknown>): Uint8Array {
  try {
    return Buffer.from(JSON.stringify(reply), 'utf8');
  } catch (e) {
    if (!fallback) throw e;
    return Buffer.from(JSON.stringify(fallback(e)), 'utf8');
  }
}

/** Calls a service method and returns its result, or throws its named error. */
export class RpcClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly subjects: Subjects,
    private readonly timeoutMs = 10_000,
  ) {}

  async call<S extends ServiceName, M extends RpcMethod<S>>(service: S, method: M, req: RpcRequest<S, M>): Promise<RpcReply<S, M>> {
    return (await this.raw(service, method, req)) as RpcReply<S, M>;
  }

  async raw(service: ServiceName, method: string, req: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    const data = Buffer.from(JSON.stringify(req), 'utf8');
    // NATS would refuse to publish it: the caller sent too much, not a service that is down.
    const limit = maxPayloadOf(this.nc);
    if (data.byteLength > limit) throw Errors.tooLarge('request', limit);
    let reply;
    try {
      reply = await this.nc.request(this.subjects.rpc(service, method), data, { timeout: timeoutMs });
    } catch (e) {
      throw Errors.unavailable(`${service} did not answer (${(e as Error).message})`);
    }
    const body = reply.json<RpcResponse<unknown>>();
    if (body.ok) return body.result;
    throw AppError.fromBody(body.error);
  }
}
