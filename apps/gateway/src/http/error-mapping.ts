import { AppError, ErrorBody, errorBody, ErrorCode } from '@im/contracts';
import { HttpException } from '@nestjs/common';

/** The framework's refusals by HTTP status; their statuses come from the registry like every other code's. */
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'CONTENT_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Fastify's own refusals (before any handler runs), by their error code. */
const FASTIFY_CODES: Record<string, ErrorBody> = {
  FST_ERR_CTP_BODY_TOO_LARGE: errorBody('CONTENT_TOO_LARGE', 'request body is too large'),
  FST_ERR_CTP_INVALID_JSON_BODY: errorBody('INVALID_JSON', 'request body is not valid JSON'),
  FST_ERR_CTP_EMPTY_JSON_BODY: errorBody('INVALID_JSON', 'request body is empty'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: errorBody('UNSUPPORTED_MEDIA_TYPE', 'send application/json'),
};

/**
 * Every failure, whatever threw it, as the one error JSON shape: the one place an error becomes
 * a status. Internals never leak.
 */
export function toErrorBody(e: unknown): ErrorBody {
  if (e instanceof AppError) return e.toBody();
  const fastifyCode = (e as { code?: string })?.code;
  if (fastifyCode && FASTIFY_CODES[fastifyCode]) return { ...FASTIFY_CODES[fastifyCode] };
  if (e instanceof SyntaxError) return errorBody('INVALID_JSON', 'request body is not valid JSON');
  if (e instanceof HttpException) {
    const status = e.getStatus();
    // Nest re-wraps Fastify's body-parser errors, keeping only the status and the message.
    if (status === 400 && /JSON/.test(e.message)) return errorBody('INVALID_JSON', e.message);
    return frameworkRefusal(status, e.message);
  }
  const status = (e as { statusCode?: number })?.statusCode;
  if (status && status >= 400 && status < 500) return frameworkRefusal(status, String((e as Error).message));
  return errorBody('INTERNAL', 'internal error');
}

/** A status the framework chose: its code when it has one, else the status kept under the nearest code. */
function frameworkRefusal(status: number, message: string): ErrorBody {
  const code = STATUS_CODES[status];
  if (code) return errorBody(code, message);
  return status >= 500 ? errorBody('INTERNAL', 'internal error') : { ...errorBody('BAD_REQUEST', message), status };
}

export function errorJson(body: ErrorBody): { error: { code: string; message: string; details?: unknown } } {
  return { error: { code: body.code, message: body.message, ...(body.details !== undefined ? { details: body.details } : {}) } };
}
