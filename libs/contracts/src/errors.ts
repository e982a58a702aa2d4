/**
 * Named errors with codes. Services throw these; the NATS RPC edge serialises them into the
 * reply and the gateway maps them once into the HTTP error JSON.
 */
export interface ErrorBody {
  code: string;
  message: string;
  status: number;
  details?: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, status: this.status, details: this.details };
  }

  static fromBody(body: ErrorBody): AppError {
    return new AppError(body.code, body.status, body.message, body.details);
  }
}

export const Errors = {
  validation: (details: unknown, message = 'The request is not valid') =>
    new AppError('VALIDATION_FAILED', 400, message, details),
  unauthorized: (message = 'Missing or invalid credentials') => new AppError('UNAUTHORIZED', 401, message),
  forbidden: (message = 'Not allowed') => new AppError('FORBIDDEN', 403, message),
  /** One answer for "does not exist" and "no access", so a refusal never leaks existence. */
  notFound: (what: string) => new AppError('NOT_FOUND', 404, `${what} not found or no access`),
  conflict: (code: string, message: string, details?: unknown) => new AppError(code, 409, message, details),
  tooLarge: (field: string, limit: number) =>
    new AppError('CONTENT_TOO_LARGE', 413, `${field} exceeds ${limit} bytes`, { field, limit }),
  /**
   * A reply that would not fit in one NATS message (the connection's max_payload). The caller
   * asks for less (a smaller page); the service answers this instead of failing to answer.
   */
  replyTooLarge: (bytes: number, limit: number) =>
    new AppError('REPLY_TOO_LARGE', 413, `the reply (${bytes} bytes) exceeds the ${limit}-byte message limit; ask for less`, { bytes, limit }),
  /** An event whose envelope would not fit in one NATS message: refused before it is stored. */
  eventTooLarge: (type: string, bytes: number, limit: number) =>
    new AppError('CONTENT_TOO_LARGE', 413, `the ${type} event would be ${bytes} bytes, over the ${limit}-byte limit`, { field: 'event', limit, bytes }),
  /** Input the database refused to store (a character or a value it cannot hold): the caller's fault, a 4xx. */
  unstorable: (message: string) => new AppError('VALIDATION_FAILED', 400, message, [{ path: '(unknown)', message }]),
  /** Input past a limit of the database (a value too long for its column, an index row too big). */
  tooLargeToStore: (message: string) => new AppError('CONTENT_TOO_LARGE', 413, message),
  /** A stream ticket that was used (`TICKET_USED`), is past its 60 s (`TICKET_EXPIRED`), or never was (`TICKET_INVALID`). */
  ticket: (code: 'TICKET_USED' | 'TICKET_EXPIRED' | 'TICKET_INVALID', message: string) => new AppError(code, 401, message),
  unprocessable: (code: string, message: string, details?: unknown) => new AppError(code, 422, message, details),
  unavailable: (message: string) => new AppError('SERVICE_UNAVAILABLE', 503, message),
  /**
   * A URL the service would have to request (a webhook, a Web Push endpoint, a callback) that is
   * not a public http(s) address: `details` names the field, the url, the address and its range.
   */
  outboundRefused: (path: string, url: string, address: string | null, reason: string) =>
    new AppError('OUTBOUND_ADDRESS_REFUSED', 422, `${url} may not be requested: ${address ? `${address} is ${reason}` : reason}`, [
      { path, url, address, reason, message: address ? `${address} is ${reason}` : `refused (${reason})` },
    ]),
  /** A URL whose host name does not resolve. */
  outboundUnresolved: (path: string, url: string) =>
    new AppError('OUTBOUND_HOST_UNRESOLVED', 422, `the host of ${url} does not resolve`, [{ path, url, message: 'the host does not resolve' }]),
  /**
   * Refused before any work was done: try again after `retryAfterSeconds` (the gateway sends it
   * as `Retry-After`). A rate limit of the caller's credential, or a service at its capacity.
   */
  rateLimited: (message: string, retryAfterSeconds = 1, code = 'RATE_LIMITED') =>
    new AppError(code, 429, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) }),
  /** An Idempotency-Key already used for another request (another body, route or method). */
  idempotencyKeyReused: () =>
    new AppError('IDEMPOTENCY_KEY_REUSED', 422, 'this Idempotency-Key was used for a different request (another body, route or method)'),
  /** The first request with this Idempotency-Key has not been answered yet. */
  idempotencyKeyInFlight: () =>
    new AppError('IDEMPOTENCY_KEY_IN_FLIGHT', 409, 'a request with this Idempotency-Key is still running; retry for its answer', { retryAfterSeconds: 1 }),
  /** The before-send callback refused the message (its own code, if any, in `details.code`). */
  rejectedByAppServer: (code: string | number | undefined) =>
    new AppError('REJECTED_BY_APP_SERVER', 422, 'the app server refused this message', code === undefined ? undefined : { code }),
  /** The before-send callback did not answer in time (or answered nonsense) and its onTimeout is `reject`. */
  appServerUnavailable: (reason: string) => new AppError('APP_SERVER_UNAVAILABLE', 503, `the app server did not decide on this message: ${reason}`),
  /** The before-send callback's replacement content is not a valid content of the message's type. */
  replacementInvalid: (details: unknown) =>
    new AppError('APP_SERVER_REPLACEMENT_INVALID', 422, "the app server's replacement content is not valid for this message type", details),
  /** Keys that belong to something else on the message (a red packet's state), named in `details.keys`. */
  reservedExpansionKey: (keys: string[], owner: string) =>
    new AppError('RESERVED_EXPANSION_KEY', 422, `${keys.join(', ')} belong to the ${owner} and cannot be set, removed or cleared`, { keys, owner }),
  /** A member of an ultra group named a channel it does not have (strangers get NOT_FOUND). */
  channelNotFound: (channelId: string) => new AppError('CHANNEL_NOT_FOUND', 404, `the ultra group has no channel "${channelId}"`, { channelId }),
};
