import { Kysely, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';
import { connectionConfig, SessionLimits } from './connection';
import { PreparingClient } from './prepared';

// int8 columns (counters, positions, epoch milliseconds) fit in a JS number here; xid8 stays a string.
types.setTypeParser(20, (v) => Number(v));

export interface DbOptions {
  url: string;
  /** The service's own schema: every unqualified table name resolves in it. */
  schema: string;
  poolSize?: number;
  limits?: Partial<SessionLimits>;
}

export function createPool({ url, schema, poolSize = 20, limits }: DbOptions): Pool {
  const pool = new Pool({ ...connectionConfig(url, schema, limits), max: poolSize, Client: PreparingClient });
  // A session can end under a connection, idle or checked out: a restart, a terminated backend,
  // idle_in_transaction_session_timeout between two statements of a transaction. pg reports it
  // as an 'error' event on the client, which pg-pool listens to only while the client is idle;
  // unheard, it would crash the process. Heard here, the statement at hand fails instead, and
  // the pool discards the dead client when it comes back.
  pool.on('connect', (client) => client.on('error', (e) => console.warn(`[db ${schema}] connection lost: ${e.message}`)));
  pool.on('error', () => undefined); // the same error, already logged by the client's listener
  return pool;
}

export function createDb<DB>(options: DbOptions): Kysely<DB> {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: createPool(options) }) });
}

/** Postgres error codes the code reacts to. */
export const PgCode = {
  UNIQUE_VIOLATION: '23505',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK: '40P01',
  /** statement_timeout fired (or the statement was cancelled). */
  QUERY_CANCELED: '57014',
  /** lock_timeout fired (or NOWAIT found the lock taken). */
  LOCK_NOT_AVAILABLE: '55P03',
  /** idle_in_transaction_session_timeout: the server ended the session. */
  IDLE_IN_TRANSACTION_TIMEOUT: '25P03',
  /** The server is shutting down or restarting, or refuses connections for now. */
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
} as const;

/** Codes worth retrying: the same statement may well succeed a moment later. */
export const TRANSIENT_PG_CODES: ReadonlySet<string> = new Set([
  PgCode.SERIALIZATION_FAILURE,
  PgCode.DEADLOCK,
  PgCode.QUERY_CANCELED,
  PgCode.LOCK_NOT_AVAILABLE,
  PgCode.IDLE_IN_TRANSACTION_TIMEOUT,
  PgCode.ADMIN_SHUTDOWN,
  PgCode.CRASH_SHUTDOWN,
  PgCode.CANNOT_CONNECT_NOW,
  PgCode.TOO_MANY_CONNECTIONS,
]);

const TRANSIENT_SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Whether a database error is about the moment (timeouts, locks, a lost or refused
 * connection) rather than about the data: the former deserve a retry, the latter never heal.
 */
export function isTransientPgError(e: unknown): boolean {
  const code = pgCode(e);
  if (code !== undefined && (TRANSIENT_PG_CODES.has(code) || code.startsWith('08') || TRANSIENT_SOCKET_CODES.has(code))) return true;
  // node-postgres' own errors for a connection that died or never answered carry no code.
  const message = e instanceof Error ? e.message : '';
  return /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error/.test(message);
}

export function pgCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

export function pgConstraint(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'constraint' in e ? String((e as { constraint: unknown }).constraint) : undefined;
}
