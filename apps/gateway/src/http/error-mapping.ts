import { AppError, ErrorBody } from '@im/contracts';
import { HttpException } from '@nestjs/common';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'CONTENT_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** Fastify's own refusals (before any handler runs), by their error code. */
const FASTIFY_CODES: Record<string, { code: string; status: number; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'CONTENT_TOO_LARGE', status: 413, message: 'request body is too large' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', status: 400, message: 'request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_JSON', status: 400, message: 'request body is empty' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', status: 415, message: 'send application/json' },
};

/** Every failure, whatever threw it, as the one error JSON shape. Internals never leak. */
export function toErrorBody(e: unknown): ErrorBody {
  if (e instanceof AppError) return e.toBody();
  const fastifyCode = (e as { code?: string })?.code;
  if (fastifyCode && FASTIFY_CODES[fastifyCode]) return { ...FASTIFY_CODES[fastifyCode] };
  if (e instanceof SyntaxError) return { code: 'INVALID_JSON', status: 400, message: 'request body is not valid JSON' };
  if (e instanceof HttpException) {
    const status = e.getStatus();
    // Nest re-wraps Fastify's body-parser errors, keeping only the status and the message.
    if (status === 400 && /JSON/.test(e.message)) return { code: 'INVALID_JSON', status, message: e.message };
    return { code: STATUS_CODES[status] ?? 'HTTP_ERROR', status, message: e.message };
  }
  const status = (e as { statusCode?: number })?.statusCode;
  if (status && status >= 400 && status < 500) return { code: STATUS_CODES[status] ?? 'BAD_REQUEST', status, message: String((e as Error).message) };
  return { code: 'INTERNAL', status: 500, message: 'internal error' };
}

export function errorJson(body: ErrorBody): { error: { code: string; message: string; details?: unknown } } {
  return { error: { code: body.code, message: body.message, ...(body.details !== undefined ? { details: body.details } : {}) } };
}
