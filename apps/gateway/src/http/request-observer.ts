import { AppMetrics, appLogger, formatTraceparent, OpenSpan, openSpan, parseTraceparent, traceStore } from '@im/observability';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A request id the caller may set: short, printable, nothing a log reader could trip on. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** Probes and scrapes: logged at debug, not once every few seconds at info. */
const QUIET_ROUTES = new Set(['/health', '/health/live', '/health/ready', '/metrics']);

const SPAN = Symbol('span');
type Observed = FastifyRequest & { [SPAN]?: OpenSpan };

/**
 * Every request, once, at the edge: its trace (W3C `traceparent` continued or started, echoed
 * back), its request id (`X-Request-Id` taken or made, echoed back), the trace context in which
 * everything it calls runs (RPC headers, event envelopes, log lines), and at the end one log
 * line, the request metrics by route pattern (never the raw URL: it would explode the series)
 * and the span's end.
 */
export function observeRequests(fastify: FastifyInstance, metrics: AppMetrics): void {
  const log = appLogger('http');
  fastify.addHook('onRequest', (req: Observed, reply, done) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    const parent = parseTraceparent(headerOf(req.headers.traceparent));
    const span = openSpan('gateway', `HTTP ${req.method} ${req.routeOptions.url ?? 'unmatched'}`, parent, 'server', { 'http.request.method': req.method });
    span.ctx.requestId = requestId;
    req[SPAN] = span;
    void reply.header('x-request-id', requestId).header('traceparent', formatTraceparent(span.ctx));
    traceStore.run(span.ctx, done);
  });
  // Body parsing may run outside the context set above; the handler runs in it again.
  fastify.addHook('preHandler', (req: Observed, _reply, done) => (req[SPAN] ? traceStore.run(req[SPAN].ctx, done) : done()));
  fastify.addHook('onResponse', (req: Observed, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const labels = { method: req.method, route, status: String(status) };
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    const span = req[SPAN];
    span?.end(status >= 500 ? `HTTP ${status}` : undefined, { 'http.route': route, 'http.response.status_code': status });
    const level = QUIET_ROUTES.has(route) && status < 500 ? 'debug' : 'info';
    if (log.isLevelEnabled(level)) {
      const line = { method: req.method, route, status, duration_ms: Math.round(reply.elapsedTime * 10) / 10 };
      if (span) traceStore.run(span.ctx, () => log[level](line, 'request'));
      else log[level](line, 'request');
    }
    done();
  });
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
