import { AppError } from '@im/contracts';
import { DatabaseError } from 'pg';

/**
 * What a projection consumer does with an error:
 * - `permanent`: applying the same event again gives the same error (bad JSON, a shape the
 *   projection cannot take, a domain refusal, data Postgres refuses), so the event is parked;
 * - `transient`: the world is briefly unwell (connection, timeout, lock, serialization), so the
 *   batch is retried with backoff;
 * - `unknown`: a plain Error says nothing either way; the consumer parks the event only if its
 *   data does not match its schema, and otherwise retries.
 */
export type FailureKind = 'permanent' | 'transient' | 'unknown';

/** An event that cannot be decoded or does not belong where it was found. Always permanent. */
export class PoisonEvent extends Error {
  override readonly name = 'PoisonEvent';
}

/** For projections: "not now, try again later" (another projection has not caught up, say). */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

/**
 * Postgres error classes caused by the values written, not by the moment: 22 data exception
 * (invalid text, out of range, NUL), 23 integrity constraint violation, 54 program limit
 * exceeded (an index row too big). Everything else (08 connection, 40 serialization or
 * deadlock, 53 resources, 55 lock not available, 57 cancel or shutdown, 42 a missing table
 * during a deploy) is the moment's.
 */
const PERMANENT_PG_CLASSES = new Set(['22', '23', '54']);

/** Node's socket and DNS failures. */
const TRANSIENT_SYSTEM_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** NATS client errors, by name (the classes may come from more than one copy of the package). */
const TRANSIENT_NATS_ERRORS = new Set([
  'TimeoutError',
  'NoRespondersError',
  'ClosedConnectionError',
  'DrainingConnectionError',
  'ConnectionError',
  'RequestError',
  'JetStreamError',
  'JetStreamStatusError',
  'JetStreamApiError',
  'JetStreamNotEnabled',
]);

/** node-postgres reports a lost or unobtainable connection as a plain Error. */
const PG_CONNECTION_MESSAGE = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end)/;

/** JavaScript's own errors: a projection that trips on its input does so every time. */
const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'URIError', 'ZodError']);

export function classifyFailure(e: unknown): FailureKind {
  if (e instanceof PoisonEvent) return 'permanent';
  if (e instanceof RetryLater) return 'transient';
  if (e instanceof AppError) return classifyAppError(e);
  if (e instanceof DatabaseError) return PERMANENT_PG_CLASSES.has(String(e.code).slice(0, 2)) ? 'permanent' : 'transient';
  if (!(e instanceof Error)) return 'unknown';
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_SYSTEM_CODES.has(code)) return 'transient';
  if (TRANSIENT_NATS_ERRORS.has(e.name) || PG_CONNECTION_MESSAGE.test(e.message)) return 'transient';
  // fetch() reports a network failure as a TypeError with the socket error as its cause.
  if (e.cause !== undefined && classifyFailure(e.cause) === 'transient') return 'transient';
  if (PROGRAMMING_ERRORS.has(e.name)) return 'permanent';
  return 'unknown';
}

/**
 * A service's refusal (4xx) is final: the notice to a user who left the group stays refused.
 * A concurrency conflict only means someone else wrote first, and 408/429/5xx say "later".
 */
function classifyAppError(e: AppError): FailureKind {
  if (e.code === 'CONCURRENCY_CONFLICT') return 'transient';
  if (e.status === 408 || e.status === 429) return 'transient';
  return e.status >= 400 && e.status < 500 ? 'permanent' : 'transient';
}

/** One line for logs and the parked row: the code when there is one, then the message. */
export function describeError(e: unknown): string {
  if (e instanceof AppError) return `${e.code} (${e.status}): ${e.message}`;
  if (e instanceof DatabaseError) return `postgres ${e.code}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}
