import { ApolloServerErrorCode } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from '../runtime/logger.js';

/** Every `extensions.code` a client may rely on. Append only: codes are a public contract. */
export enum ErrorCode {
  INVALID_ORGNR = 'INVALID_ORGNR',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  NOT_FOUND = 'NOT_FOUND',
  FORBIDDEN = 'FORBIDDEN',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  CONFLICT = 'CONFLICT',
  /** The operation exceeds a limit (depth, aliases, root fields, cost, size); `extensions.limit` names it. */
  OPERATION_LIMIT = 'OPERATION_LIMIT',
  /** A subgraph could not be reached; `extensions.serviceName` names it. */
  SUBGRAPH_UNAVAILABLE = 'SUBGRAPH_UNAVAILABLE',
  /** A subgraph did not answer within its deadline; `extensions.serviceName` names it. */
  SUBGRAPH_TIMEOUT = 'SUBGRAPH_TIMEOUT',
  /**
   * A supergraph reload made an open subscription's operation invalid (a field it selects is
   * gone); it ends after this error, the socket stays open. `extensions.reasons` says why.
   */
  SUBSCRIPTION_INVALIDATED = 'SUBSCRIPTION_INVALIDATED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /** The recipient of a message is not registered in Enhetsregisteret, or is deleted. */
  RECIPIENT_NOT_FOUND = 'RECIPIENT_NOT_FOUND',
  /** A status change the message's lifecycle does not allow; `extensions.from`/`to` name the states. */
  INVALID_TRANSITION = 'INVALID_TRANSITION',
  /** Archiving a message that asks for confirmation before it is confirmed. */
  CONFIRMATION_REQUIRED = 'CONFIRMATION_REQUIRED',
  /** A notification policy breaks a rule of the varslingsstrategi; `extensions.field` names it. */
  INVALID_POLICY = 'INVALID_POLICY',
  /**
   * The caller spent its budget of cost points for the window, or has too many requests in
   * flight; HTTP 429 with `Retry-After`; `extensions.limit` is `budget` or `inFlight`.
   */
  RATE_LIMITED = 'RATE_LIMITED',
  /** The gateway is shedding load; HTTP 503 with `Retry-After`. */
  OVERLOADED = 'OVERLOADED',
  /** A feed's cursor is older than the events still kept; `extensions.oldestCursor` is the oldest that is. */
  CURSOR_EXPIRED = 'CURSOR_EXPIRED',
  /** A mass sending of service messages whose selection of recipients is not limited. */
  SELECTION_TOO_WIDE = 'SELECTION_TOO_WIDE',
  /** A subgraph cannot reach its database (down, restarting, failing over); try again shortly. */
  DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE',
  /** Only trusted documents run (a persisted-documents manifest), and the request named none. */
  PERSISTED_QUERY_ID_REQUIRED = 'PERSISTED_QUERY_ID_REQUIRED',
  /** Only trusted documents run, and the manifest has no document of the id sent. */
  PERSISTED_QUERY_NOT_IN_LIST = 'PERSISTED_QUERY_NOT_IN_LIST',
}

/** Longest error message sent to a client: longer ones (echoing a huge value) are cut. */
export const MAX_MESSAGE_LENGTH = 500;

/** The message cut to {@link MAX_MESSAGE_LENGTH} characters. */
export function clampMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH
    ? message
    : `${message.slice(0, MAX_MESSAGE_LENGTH)}… (${message.length - MAX_MESSAGE_LENGTH} more characters)`;
}

/** An error the client is expected to handle: a message for people and a code for programs. */
export class ClientError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
  }
}

/** Makes the compiler prove that a switch covers every case. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}

/** Codes whose messages are written for clients; any other error is internal. */
const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((c) => c !== ErrorCode.INTERNAL_SERVER_ERROR),
  ...Object.values(ApolloServerErrorCode).filter(
    (c) => c !== ApolloServerErrorCode.INTERNAL_SERVER_ERROR,
  ),
]);

/**
 * Apollo `formatError`: in production an internal error's message (a SQL statement, a stack
 * frame) is replaced and the detail logged; errors with a public code pass unchanged.
 */
export function errorFormatter(production: boolean, log: Logger) {
  return (given: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    // Production names no schema element the caller did not: no "Did you mean …?" suggestions.
    const message = clampMessage(
      production ? given.message.replace(/ ?Did you mean .+\?$/s, '') : given.message,
    );
    const formatted = message === given.message ? given : { ...given, message };
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) return formatted;
    if (isDatabaseUnavailable(error)) {
      log.warn({ err: error, path: formatted.path }, 'database unavailable');
      return {
        message: 'The database is unavailable; try again shortly.',
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: ErrorCode.DATABASE_UNAVAILABLE },
      };
    }
    log.error({ err: error, path: formatted.path }, 'internal error');
    if (!production) return formatted;
    const serviceName = formatted.extensions?.serviceName;
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: {
        code: ErrorCode.INTERNAL_SERVER_ERROR,
        ...(serviceName ? { serviceName } : {}),
      },
    };
  };
}

/**
 * Connection failures: refused, reset, aborted, timed out, the host not found for now, cut by a
 * server shutting down (SQLSTATE 57P0x, 08xxx).
 */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

/**
 * True when `error` (or what it wraps) is a failure to reach PostgreSQL rather than a bug: the
 * server refused or dropped the connection, or is shutting down or starting up.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e = error as { originalError?: unknown; cause?: unknown; code?: unknown; message?: unknown };
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (CONNECTION_ERRORS.has(code) || /^57P0[123]$/.test(code) || /^08/.test(code)) return true;
    // Knex puts the statement before pg's message: "select … - Connection terminated unexpectedly".
    if (
      typeof e.message === 'string' &&
      /(^|- )(Connection terminated|Connection ended unexpectedly)/.test(e.message)
    ) {
      return true;
    }
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}
