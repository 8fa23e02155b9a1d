import type pg from 'pg';

/**
 * Settings for the event pipeline's long-lived connections (relay, LISTEN, tail): none may hang
 * for long on a connection that died silently. TCP keepalive notices a dead peer; the statement
 * and client-side query timeouts end a query the server never answers; the server itself ends a
 * session that sits in an open transaction (a frozen process) and with it its row locks.
 */
export function longLived(databaseUrl: string, applicationName: string): pg.ClientConfig {
  return {
    connectionString: databaseUrl,
    // The process id tells an operator (and pg_terminate_backend) whose connection it is.
    application_name: `${applicationName}:${process.pid}`,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 10_000,
    statement_timeout: 30_000,
    query_timeout: 35_000,
    lock_timeout: 5_000,
    idle_in_transaction_session_timeout: 10_000,
  };
}
