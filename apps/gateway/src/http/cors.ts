import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * Browsers on the listed origins (`CORS_ORIGINS`) may call the API: preflights are answered,
 * credentials allowed, and the headers a client sends are allowed (Last-Event-ID for a stream
 * resumed by fetch; EventSource needs none, it uses a ticket). Unlisted origins get no CORS
 * headers, so the browser refuses the response.
 */
export function corsOptions(origins: string[]): FastifyCorsOptions {
  return {
    origin: origins,
    credentials: true,
    methods: ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID', 'X-User-Id', 'traceparent', 'tracestate'],
    exposedHeaders: ['Retry-After', 'X-Request-Id', 'traceparent'],
    maxAge: 600,
  };
}
