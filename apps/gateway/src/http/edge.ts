import { Actor, AppError, ErrorBody } from '@im/contracts';
import { rpcContext } from '@im/eventstore';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayConfig } from '../gateway.config';
import { authorize } from './auth.guard';
import { sendError } from './error.filter';
import { IdempotencyGate, REPLAYED_HEADER, Turn } from './idempotency.gate';
import { RateLimitGuard } from './rate-limit.guard';
import { ReadYourWrites } from './read-your-writes';

const TURN = Symbol('idempotency-turn');
type EdgeRequest = FastifyRequest & { actor?: Actor; [TURN]?: Turn };
const CONSISTENT = { consistent: true };

export interface Edge {
  config: GatewayConfig;
  rateLimit: RateLimitGuard;
  idempotency: IdempotencyGate;
  readYourWrites: ReadYourWrites;
}

/**
 * The gateway's per-request rules, once for every route, as two plain Fastify hooks in place of
 * Nest's guards and interceptors (their chain, rxjs and the AsyncResource.bind per interceptor
 * were ~1/3 of the gateway's busy time under the send load). Before the handler, in this order:
 * who is calling and whether the route lets them (auth.guard.ts), whether they are over their
 * limit (rate-limit.guard.ts), the Idempotency-Key (idempotency.gate.ts: a replay is answered
 * here), and whether a read must see the caller's own writes (read-your-writes.ts). When the
 * answer is sent: its Idempotency-Key entry, and a successful write marks its caller.
 * A refusal goes out through `sendError`, the shape of every other error. Requests no route
 * matched get the 404 untouched, as before.
 */
export function installEdge(fastify: FastifyInstance, edge: Edge): void {
  fastify.addHook('preHandler', (req: EdgeRequest, reply, done) => {
    if (req.is404) return done();
    try {
      authorize(req, edge.config);
      edge.rateLimit.check(req.actor);
    } catch (e) {
      return sendError(reply, e);
    }
    const proceed = () => (req.method === 'GET' && edge.readYourWrites.mustWait(req.headers) ? rpcContext.run(CONSISTENT, done) : done());
    if (!edge.idempotency.applies(req)) return proceed();
    edge.idempotency.begin(req).then(
      (taken) => {
        if ('turn' in taken) {
          req[TURN] = taken.turn;
          return proceed();
        }
        replay(reply, taken.replay);
      },
      (e) => sendError(reply, e),
    );
  });

  fastify.addHook('onSend', (req: EdgeRequest, reply, payload, done) => {
    if (req.is404) return done(null, payload);
    const status = reply.statusCode;
    if (req.method !== 'GET' && req.method !== 'HEAD' && status < 400) edge.readYourWrites.wrote(req.headers);
    const turn = req[TURN];
    if (!turn) return done(null, payload);
    req[TURN] = undefined;
    void edge.idempotency.finish(turn, status, bodyOf(payload)).then(() => done(null, payload));
  });
}

function replay(reply: FastifyReply, answer: { status: number; body: unknown }): void {
  void reply.header(REPLAYED_HEADER, 'true');
  if (answer.status >= 400) return sendError(reply, AppError.fromBody(answer.body as ErrorBody));
  void reply.status(answer.status).send(answer.body);
}

/** The answer as sent (Fastify has serialized it by now), as the value to replay. */
function bodyOf(payload: unknown): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
