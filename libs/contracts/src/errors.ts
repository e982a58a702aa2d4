/**
 * Named errors with codes. Services throw these; the NATS RPC edge serialises them into the
 * reply and the gateway maps them once into the HTTP error JSON.
 */

/**
 * Every error code, its HTTP status and what it means: the one list. `AppError` takes a code
 * from it (an unknown code does not compile) and its status from here; the gateway's OpenAPI
 * lists each operation's codes from it, and `errors.unit.spec.ts` fails when a code in the
 * source is missing here.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { status: 400, description: 'a path, query, header or body value is not valid; details lists each { path, message }' },
  INVALID_JSON: { status: 400, description: 'the body is not JSON' },
  BAD_REQUEST: { status: 400, description: 'the framework refused the request before a handler saw it' },
  UNKNOWN_MESSAGE_TYPE: { status: 400, description: 'objectName is not a built-in or registered message type' },
  INVALID_OBJECT_NAME: { status: 400, description: 'a custom objectName must not start with RC: and has at most 32 characters' },
  UNAUTHORIZED: { status: 401, description: 'no, or an invalid or expired, credential' },
  TICKET_USED: { status: 401, description: 'the stream ticket was already used (a ticket opens one stream)' },
  TICKET_EXPIRED: { status: 401, description: 'the stream ticket is past its 60 seconds' },
  TICKET_INVALID: { status: 401, description: 'not a stream ticket this deployment issued' },
  FORBIDDEN: { status: 403, description: 'the credential may not do this (a user token on a server-key route)' },
  NOT_A_RECEIVER: { status: 403, description: 'the red packet is for its receivers only' },
  NOT_FOUND: { status: 404, description: 'not found or no access (one answer for both)' },
  CHANNEL_NOT_FOUND: { status: 404, description: 'the ultra group (of which the caller is a member) has no such channel; create it with PUT /v1/ultra-groups/{id}/channels/{channelId}' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'the path does not take this method' },
  ALREADY_RECALLED: { status: 409, description: 'the message was already recalled' },
  MESSAGE_RECALLED: { status: 409, description: 'the message was recalled' },
  STREAM_COMPLETED: { status: 409, description: 'the stream message is already complete' },
  STREAM_SEQ_MISMATCH: { status: 409, description: 'the chunk is not the next one; details.expectedSeq says which is' },
  EXPANSION_VERSION_CONFLICT: { status: 409, description: 'an expected version is stale; details.current has the current entries' },
  ALREADY_CLAIMED: { status: 409, description: 'the caller already claimed this red packet' },
  RED_PACKET_EXHAUSTED: { status: 409, description: 'every share has been claimed' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, description: 'a request with this Idempotency-Key is still running; retry after Retry-After for its answer' },
  ATTRIBUTE_SET_BY_OTHER: { status: 409, description: 'a chatroom attribute set by another user, with overwrite: false' },
  CONCURRENCY_CONFLICT: { status: 409, description: 'a concurrent write won; retrying is safe' },
  RED_PACKET_EXPIRED: { status: 410, description: 'the red packet has expired' },
  CONTENT_TOO_LARGE: { status: 413, description: 'the body or a field of it is over its limit' },
  REPLY_TOO_LARGE: { status: 413, description: 'the answer would not fit in one message; ask for a smaller page' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'the body is not application/json' },
  CHATROOM_ATTRIBUTES_FULL: { status: 422, description: 'a chatroom has at most 100 attributes' },
  CONVERSATION_TYPE_NOT_SUPPORTED: { status: 422, description: 'the conversation type is not built (yet) for this call' },
  CANNOT_MESSAGE_SELF: { status: 422, description: 'a private conversation needs two different users' },
  USE_DEDICATED_ENDPOINT: { status: 422, description: 'this message type is produced by another endpoint (details.endpoint)' },
  DIRECTED_USER_NOT_MEMBER: { status: 422, description: 'every directed user must be in the conversation' },
  EXPANSION_NOT_ALLOWED: { status: 422, description: 'the message was not sent with canIncludeExpansion: true' },
  EXPANSION_KEY_LIMIT: { status: 422, description: 'a message carries at most 300 expansion keys' },
  TOO_MANY_KEYS_PER_CALL: { status: 422, description: 'too many keys set in one call (20 for a user, 100 for the server key)' },
  RESERVED_EXPANSION_KEY: { status: 422, description: 'the keys belong to something else on the message (a red packet)' },
  RECALL_WINDOW_PASSED: { status: 422, description: 'the recall window has passed (the server key with isAdmin may still recall)' },
  NOT_A_STREAM: { status: 422, description: 'only RC:StreamMsg messages take chunks' },
  RECEIVER_NOT_MEMBER: { status: 422, description: 'every receiver must be a member of the conversation' },
  PRIVATE_PACKET_HAS_ONE_SHARE: { status: 422, description: 'a red packet in a private conversation has exactly one share' },
  AMOUNT_TOO_SMALL: { status: 422, description: 'every share is at least 1 minor unit' },
  AMOUNT_NOT_DIVISIBLE: { status: 422, description: 'a fixed packet splits its total into equal whole shares' },
  MORE_SHARES_THAN_RECEIVERS: { status: 422, description: 'an exclusive packet has at most one share per receiver' },
  OWN_MESSAGE: { status: 422, description: 'receipts are for messages sent by others' },
  RECEIPT_NOT_REQUESTED: { status: 422, description: 'the message does not collect read receipts' },
  READ_SEQ_AHEAD: { status: 422, description: 'seq is past the last message of the conversation' },
  WEBHOOK_URL_NOT_ALLOWED: { status: 422, description: 'the server configuration does not allow this webhook URL' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, description: 'this Idempotency-Key was used for a different request (another body, route or method)' },
  REJECTED_BY_APP_SERVER: { status: 422, description: 'the before-send callback refused the message (details.code: its own code); nothing was stored' },
  APP_SERVER_REPLACEMENT_INVALID: { status: 422, description: "the before-send callback's replacement content is not valid for the type; nothing was stored" },
  APP_SERVER_UNAVAILABLE: { status: 503, description: 'the before-send callback did not answer in time (or not a valid answer) and its onTimeout is reject; nothing was stored' },
  OUTBOUND_ADDRESS_REFUSED: { status: 422, description: 'the URL resolves to an address pushes may not reach (loopback, private...; see PUSH_ALLOWED_NETWORKS)' },
  OUTBOUND_HOST_UNRESOLVED: { status: 422, description: 'the host of the URL does not resolve' },
  TOO_MANY_DEVICES: { status: 422, description: 'a user has at most 20 devices; remove one first' },
  RATE_LIMITED: { status: 429, description: 'too many calls for this credential; nothing was done, retry after Retry-After' },
  CLAIMS_BUSY: { status: 429, description: 'too many claims at once on this red packet; nothing was claimed, retry after Retry-After' },
  INTERNAL: { status: 500, description: 'an unexpected failure; nothing about it is told (the logs have it)' },
  SERVICE_UNAVAILABLE: { status: 503, description: 'a service did not answer; retrying (with the same Idempotency-Key) is safe' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes answered with HTTP status `S` (`Errors.conflict` takes only 409s, and so on). */
export type ErrorCodeWithStatus<S extends number> = { [K in ErrorCode]: (typeof ERROR_CODES)[K]['status'] extends S ? K : never }[ErrorCode];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** What travels in an RPC reply and becomes the HTTP error JSON. */
export interface ErrorBody {
  /** An `ErrorCode`, typed as a string on the wire: a newer peer may answer with a code this build does not know. */
  code: string;
  message: string;
  status: number;
  details?: unknown;
}

/** The body of a registered code, its status from the registry. */
export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { code, status: ERROR_CODES[code].status, message, ...(details !== undefined ? { details } : {}) };
}

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = ERROR_CODES[code].status;
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message, status: this.status, details: this.details };
  }

  /**
   * An error another service answered with. Its code and status are kept as sent: during a
   * rolling deploy a newer service may answer with a code this build does not know yet.
   */
  static fromBody(body: ErrorBody): AppError {
    const e = new AppError(isErrorCode(body.code) ? body.code : 'INTERNAL', body.message, body.details);
    return Object.assign(e, { code: body.code, status: body.status });
  }
}

export const Errors = {
  validation: (details: unknown, message = 'The request is not valid') =>
    new AppError('VALIDATION_FAILED', message, details),
  unauthorized: (message = 'Missing or invalid credentials') => new AppError('UNAUTHORIZED', message),
  forbidden: (message = 'Not allowed') => new AppError('FORBIDDEN', message),
  /** One answer for "does not exist" and "no access", so a refusal never leaks existence. */
  notFound: (what: string) => new AppError('NOT_FOUND', `${what} not found or no access`),
  conflict: (code: ErrorCodeWithStatus<409>, message: string, details?: unknown) => new AppError(code, message, details),
  tooLarge: (field: string, limit: number) =>
    new AppError('CONTENT_TOO_LARGE', `${field} exceeds ${limit} bytes`, { field, limit }),
  /**
   * A reply that would not fit in one NATS message (the connection's max_payload). The caller
   * asks for less (a smaller page); the service answers this instead of failing to answer.
   */
  replyTooLarge: (bytes: number, limit: number) =>
    new AppError('REPLY_TOO_LARGE', `the reply (${bytes} bytes) exceeds the ${limit}-byte message limit; ask for less`, { bytes, limit }),
  /** An event whose envelope would not fit in one NATS message: refused before it is stored. */
  eventTooLarge: (type: string, bytes: number, limit: number) =>
    new AppError('CONTENT_TOO_LARGE', `the ${type} event would be ${bytes} bytes, over the ${limit}-byte limit`, { field: 'event', limit, bytes }),
  /** Input the database refused to store (a character or a value it cannot hold): the caller's fault, a 4xx. */
  unstorable: (message: string) => new AppError('VALIDATION_FAILED', message, [{ path: '(unknown)', message }]),
  /** Input past a limit of the database (a value too long for its column, an index row too big). */
  tooLargeToStore: (message: string) => new AppError('CONTENT_TOO_LARGE', message),
  /** A stream ticket that was used (`TICKET_USED`), is past its 60 s (`TICKET_EXPIRED`), or never was (`TICKET_INVALID`). */
  ticket: (code: 'TICKET_USED' | 'TICKET_EXPIRED' | 'TICKET_INVALID', message: string) => new AppError(code, message),
  unprocessable: (code: ErrorCodeWithStatus<422>, message: string, details?: unknown) => new AppError(code, message, details),
  unavailable: (message: string) => new AppError('SERVICE_UNAVAILABLE', message),
  /**
   * A URL the service would have to request (a webhook, a Web Push endpoint, a callback) that is
   * not a public http(s) address: `details` names the field, the url, the address and its range.
   */
  outboundRefused: (path: string, url: string, address: string | null, reason: string) =>
    new AppError('OUTBOUND_ADDRESS_REFUSED', `${url} may not be requested: ${address ? `${address} is ${reason}` : reason}`, [
      { path, url, address, reason, message: address ? `${address} is ${reason}` : `refused (${reason})` },
    ]),
  /** A URL whose host name does not resolve. */
  outboundUnresolved: (path: string, url: string) =>
    new AppError('OUTBOUND_HOST_UNRESOLVED', `the host of ${url} does not resolve`, [{ path, url, message: 'the host does not resolve' }]),
  /**
   * Refused before any work was done: try again after `retryAfterSeconds` (the gateway sends it
   * as `Retry-After`). A rate limit of the caller's credential, or a service at its capacity.
   */
  rateLimited: (message: string, retryAfterSeconds = 1, code: ErrorCodeWithStatus<429> = 'RATE_LIMITED') =>
    new AppError(code, message, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) }),
  /** An Idempotency-Key already used for another request (another body, route or method). */
  idempotencyKeyReused: () =>
    new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request (another body, route or method)'),
  /** The first request with this Idempotency-Key has not been answered yet. */
  idempotencyKeyInFlight: () =>
    new AppError('IDEMPOTENCY_KEY_IN_FLIGHT', 'a request with this Idempotency-Key is still running; retry for its answer', { retryAfterSeconds: 1 }),
  /** The before-send callback refused the message (its own code, if any, in `details.code`). */
  rejectedByAppServer: (code: string | number | undefined) =>
    new AppError('REJECTED_BY_APP_SERVER', 'the app server refused this message', code === undefined ? undefined : { code }),
  /** The before-send callback did not answer in time (or answered nonsense) and its onTimeout is `reject`. */
  appServerUnavailable: (reason: string) => new AppError('APP_SERVER_UNAVAILABLE', `the app server did not decide on this message: ${reason}`),
  /** The before-send callback's replacement content is not a valid content of the message's type. */
  replacementInvalid: (details: unknown) =>
    new AppError('APP_SERVER_REPLACEMENT_INVALID', "the app server's replacement content is not valid for this message type", details),
  /** Keys that belong to something else on the message (a red packet's state), named in `details.keys`. */
  reservedExpansionKey: (keys: string[], owner: string) =>
    new AppError('RESERVED_EXPANSION_KEY', `${keys.join(', ')} belong to the ${owner} and cannot be set, removed or cleared`, { keys, owner }),
  /** A member of an ultra group named a channel it does not have (strangers get NOT_FOUND). */
  channelNotFound: (channelId: string) => new AppError('CHANNEL_NOT_FOUND', `the ultra group has no channel "${channelId}"`, { channelId }),
};
