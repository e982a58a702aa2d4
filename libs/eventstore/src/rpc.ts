import {
  AppError,
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
import { NatsConnection, Subscription } from '@nats-io/transport-node';
import { z } from 'zod';
import { Logger } from './logger';

export type RpcHandler<S extends ServiceName, M extends RpcMethod<S>> = (req: RpcParsed<S, M>) => Promise<RpcReply<S, M>>;
export type RpcHandlers<S extends ServiceName> = { [M in RpcMethod<S>]: RpcHandler<S, M> };

/**
 * Answers a service's request/reply methods on `im.rpc.<service>.<method>` in a queue group,
 * so replicas share the load. Every request is validated against its schema in the contracts;
 * errors travel back as named codes, and an unexpected one as a 500 without internals.
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
        if (err) return;
        void this.answer(method, msg.data, handle).then((reply) => msg.respond(JSON.stringify(reply)));
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
      return { ok: true, result: await handle(payload) };
    } catch (e) {
      if (e instanceof AppError) return { ok: false, error: e.toBody() };
      this.logger?.error(`${this.service}.${method} failed: ${(e as Error).stack ?? e}`);
      return { ok: false, error: { code: 'INTERNAL', message: 'internal error', status: 500 } };
    }
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.unsubscribe();
    this.subs = [];
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
    let reply;
    try {
      reply = await this.nc.request(this.subjects.rpc(service, method), JSON.stringify(req), { timeout: timeoutMs });
    } catch (e) {
      throw Errors.unavailable(`${service} did not answer (${(e as Error).message})`);
    }
    const body = reply.json<RpcResponse<unknown>>();
    if (body.ok) return body.result;
    throw AppError.fromBody(body.error);
  }
}
