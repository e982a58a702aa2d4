import { ErrorBody } from '@im/contracts';
import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { errorJson, toErrorBody } from './error-mapping';

const logger = new Logger('http');

/** Maps every error a handler throws once, at the HTTP edge. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }
}

/** The one way an error becomes an answer, from a Nest handler or a Fastify hook alike. */
export function sendError(reply: FastifyReply, exception: unknown): void {
  const body = toErrorBody(exception);
  if (body.status >= 500) logger.error((exception as Error)?.stack ?? String(exception));
  const retryAfter = retryAfterOf(body);
  if (retryAfter !== null) void reply.header('Retry-After', String(retryAfter));
  void reply.status(body.status).send(errorJson(body));
}

/**
 * "Come back later" answers (a 429, a key still in flight) say when, in whole seconds: from the
 * error's `details.retryAfterSeconds` (the gateway's limits and the services' admission set it),
 * at least 1 for any 429.
 */
export function retryAfterOf(body: ErrorBody): number | null {
  const seconds = (body.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof seconds === 'number' && Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  return body.status === 429 ? 1 : null;
}
