import { ClientConfig } from 'pg';

/**
 * Server-side limits on every session, so that no bug, stuck client or forgotten transaction
 * can hold a connection, a row lock or an advisory lock forever. The values are far above
 * anything a command, a projection batch or a query needs (milliseconds; an RPC made inside a
 * transaction times out after 10 s); migrations lift them for their own session (migrate.ts).
 */
export interface SessionLimits {
  /** A statement running longer is cancelled (SQLSTATE 57014). */
  statementTimeoutMs: number;
  /** A wait for a lock (row, table or advisory) longer than this fails (SQLSTATE 55P03). */
  lockTimeoutMs: number;
  /** A transaction left idle this long is ended by the server, its locks with it (SQLSTATE 25P03). */
  idleInTransactionMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  statementTimeoutMs: 60_000,
  lockTimeoutMs: 20_000,
  idleInTransactionMs: 60_000,
};

/**
 * TCP keepalive, both ways. The client's own (keepAlive) lets this process notice a dead idle
 * connection. The server's (tcp_keepalives_*) matters more: it is how Postgres learns that a
 * client vanished without closing (host lost, network cut) and ends its session, releasing
 * the session's advisory locks (the relay's and the consumers' leadership) within about
 * idle + interval × count = 25 s instead of the kernel's default two hours.
 */
const KEEPALIVE = { idleSeconds: 10, intervalSeconds: 5, count: 3 };

/** The pg connection settings every pool and dedicated client of a service uses. */
export function connectionConfig(url: string, schema: string, limits: Partial<SessionLimits> = {}): ClientConfig {
  const l = { ...DEFAULT_SESSION_LIMITS, ...limits };
  const options = [
    `-c search_path=${schema}`,
    `-c tcp_keepalives_idle=${KEEPALIVE.idleSeconds}`,
    `-c tcp_keepalives_interval=${KEEPALIVE.intervalSeconds}`,
    `-c tcp_keepalives_count=${KEEPALIVE.count}`,
  ].join(' ');
  return {
    connectionString: url,
    options,
    // Names the sessions in pg_stat_activity; an application_name in the URL wins.
    fallback_application_name: `im:${schema}`,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE.idleSeconds * 1000,
    // A connect that gets no answer (server host gone) fails instead of waiting on the kernel.
    connectionTimeoutMillis: 10_000,
    statement_timeout: l.statementTimeoutMs,
    lock_timeout: l.lockTimeoutMs,
    idle_in_transaction_session_timeout: l.idleInTransactionMs,
  };
}
