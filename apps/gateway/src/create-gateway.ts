import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Clock } from '@im/service-kit';
import { AppMetrics, JsonNestLogger } from '@im/observability';
import { GatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { errorJson, toErrorBody } from './http/error-mapping';
import { sendError } from './http/error.filter';
import { installEdge } from './http/edge';
import { IdempotencyGate } from './http/idempotency.gate';
import { IdempotencyStore } from './http/idempotency.store';
import { RateLimiter } from './http/rate-limit';
import { RateLimitGuard } from './http/rate-limit.guard';
import { ReadYourWrites } from './http/read-your-writes';
import { GATEWAY_CLOCK, IDEMPOTENCY_STORE, RATE_LIMITER } from './tokens';
import { closeIdleSocketsOnClose } from './http/close-idle-sockets';
import { corsOptions } from './http/cors';
import { assertSafeRequest, badUrlError } from './http/hostile-input';
import { observeRequests } from './http/request-observer';

/** Bodies above this are refused by Fastify (413) before any handler; content itself is capped at 128 KB. */
const BODY_LIMIT = 1024 * 1024;

const registered = new WeakMap<NestFastifyApplication, Array<{ method: string; url: string }>>();

/** The routes Fastify registered for this app: the OpenAPI document is checked against them. */
export function registeredRoutes(app: NestFastifyApplication): Array<{ method: string; url: string }> {
  return registered.get(app) ?? [];
}

export async function createGateway(config: GatewayConfig, opts: { clock?: Clock } = {}): Promise<NestFastifyApplication> {
  const routes: Array<{ method: string; url: string }> = [];
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    // Refusals before routing (a path segment that does not decode) get the error JSON too.
    frameworkErrors: (error: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const body = toErrorBody(error.code === 'FST_ERR_BAD_URL' ? badUrlError(req.url, req.method, routes) : error);
      void reply.status(body.status).send(errorJson(body));
    },
  });
  const metrics = new AppMetrics('gateway', { processMetrics: true });
  // First: every request gets its id, trace and log line, refusals included.
  observeRequests(adapter.getInstance(), metrics);
  adapter.getInstance().addHook('onRoute', (r) => {
    // HEAD and the CORS preflight (OPTIONS *) are the framework's, not the API's.
    for (const method of [r.method].flat()) if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, url: r.url });
  });
  // Every string that enters (body, query, path) is checked once, here, before any handler.
  adapter.getInstance().addHook('preValidation', async (req) => assertSafeRequest(req));
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.register(config, metrics, opts.clock), adapter, {
    // JSON lines at LOG_LEVEL (libs/observability), in place of Nest's coloured text.
    logger: new JsonNestLogger(),
  });
  // Auth, rate limit, Idempotency-Key and read-your-writes, for every route (after the safety check above).
  const clock = app.get<Clock>(GATEWAY_CLOCK);
  installEdge(adapter.getInstance(), {
    config,
    rateLimit: new RateLimitGuard(app.get<RateLimiter>(RATE_LIMITER), clock, config),
    idempotency: new IdempotencyGate(app.get<IdempotencyStore>(IDEMPOTENCY_STORE), clock, config),
    readYourWrites: new ReadYourWrites(),
  });
  // Errors Fastify raises before Nest sees the request (bad JSON, oversize body) get the same shape.
  adapter.getInstance().setErrorHandler((error, _req, reply) => sendError(reply, error));
  closeIdleSocketsOnClose(adapter.getInstance());
  if (config.corsOrigins.length > 0) app.enableCors(corsOptions(config.corsOrigins));
  registered.set(app, routes);
  return app;
}
