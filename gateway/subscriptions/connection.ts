import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { GraphQLError } from 'graphql';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import type { InternalIdentity } from '../../platform/auth/internalIdentity.js';
import type { Logger } from '../../platform/runtime/logger.js';
import type { Authenticator } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { budgetKeyOf } from '../edge/budget.js';
import type { Confirmer } from './confirm.js';

/**
 * Close codes, each one that stock graphql-ws clients (and Apollo's and urql's links over them)
 * retry, so that a client comes back by itself and resumes where it had got to: 4403 for a token
 * refused or expired (a `connectionParams` function then brings a fresh one), 1013 (try again
 * later) for a client too slow to keep up or past the anonymous connections, 1012 (service
 * restart) when the gateway shuts down.
 */
export const CloseCode = {
  Forbidden: 4403,
  TryAgainLater: 1013,
  ServiceRestart: 1012,
} as const;

/**
 * What the core needs of a transport's connection to a client (a WebSocket, an HTTP response
 * streaming multipart parts or server-sent events).
 */
export interface Channel {
  /** Bytes written to the client and not yet sent: a slow client's backlog. */
  buffered(): number;
  /** Ends the connection for a reason given as a {@link CloseCode}. */
  close(code: number, reason: string): void;
}

/** Why a connection is not opened: a close code for sockets, an error for HTTP. */
export interface Refusal {
  code: number;
  reason: string;
  /** With `extensions.http.status` (401, 429 or 503). */
  error: GraphQLError;
}

/** One client connection: the context of its operations, as a request's is over HTTP. */
export interface Connection extends GatewayContext {
  /** Operations under way on it, counted from the moment they are admitted. */
  operations: number;
  channel: Channel;
  /** Confirms what the client has received (graphql-ws: set once it is open). */
  confirmer?: Confirmer;
  /** Closes it with 4403 when its token expires. */
  expiry?: NodeJS.Timeout;
  close(code: number, reason: string): void;
}

export interface ConnectionOptions {
  auth: Authenticator;
  identity: InternalIdentity;
  /** The client's address (for anonymous callers' budgets). */
  addressOf: (req: http.IncomingMessage) => string | undefined;
  /** Open connections one caller (a token, or an address when anonymous) may hold. */
  maxPerCaller: number;
  /** Anonymous connections in all. */
  maxAnonymous: number;
  log: Logger;
}

/**
 * The gateway's open client connections, over every transport: a socket's `connection_init`,
 * or one HTTP request that streams a subscription. Its token (`Bearer …`) is verified, and a bad
 * one refused (4403 on a socket: graphql-ws clients retry it and give up for good on 4401; 401
 * over HTTP), as is a caller past its connections; the connection closes with 4403 when the
 * token expires. One caller's connections are counted together whatever their transport.
 */
export class Connections {
  /** Open connections per budget key: a token's organisation and subject, or an address. */
  private readonly perCaller = new Map<string, number>();
  private anonymous = 0;

  constructor(private readonly options: ConnectionOptions) {}

  /** The connection of a client with this `Authorization` value, or why it is refused. */
  async open(
    authorization: string | undefined,
    request: http.IncomingMessage,
    channel: Channel,
  ): Promise<Connection | Refusal> {
    const { auth, identity, maxPerCaller } = this.options;
    const requestId = randomUUID();
    const log = this.options.log.child({ requestId });
    let verified;
    try {
      verified = await auth.verify(authorization);
    } catch (err) {
      const reason = (err as GraphQLError).extensions?.reason ?? 'invalid';
      log.info({ reason }, 'subscription connection refused');
      return {
        code: CloseCode.Forbidden,
        reason: `Forbidden: token ${String(reason)}`,
        error: err as GraphQLError,
      };
    }
    const budget = budgetKeyOf(verified.caller, this.options.addressOf(request));
    if (budget.kind === 'anonymous' && this.anonymous >= this.options.maxAnonymous) {
      return refusal(
        CloseCode.TryAgainLater,
        'Try again later: too many anonymous connections',
        ErrorCode.OVERLOADED,
        503,
        { limit: 'anonymousConnections', max: this.options.maxAnonymous },
      );
    }
    const open = this.perCaller.get(budget.key) ?? 0;
    if (open >= maxPerCaller) {
      return refusal(
        CloseCode.Forbidden,
        `Forbidden: more than ${maxPerCaller} connections for this ${budget.kind === 'caller' ? 'token' : 'address'}`,
        ErrorCode.OPERATION_LIMIT,
        429,
        { limit: 'connectionsPerCaller', max: maxPerCaller },
      );
    }
    this.perCaller.set(budget.key, open + 1);
    if (budget.kind === 'anonymous') this.anonymous++;
    const connection: Connection = {
      caller: verified.caller,
      budget,
      // Signed afresh as it ages: a connection outlives one forwarded identity.
      forwardedIdentity: async () =>
        verified.caller.anonymous ? null : identity.signReused(verified.caller),
      requestId,
      log,
      operations: 0,
      channel,
      close: (code, reason) => channel.close(code, reason),
    };
    if (verified.expiresAt !== null) {
      connection.expiry = setTimeout(
        () => connection.close(CloseCode.Forbidden, 'Forbidden: the token expired'),
        Math.min(Math.max(verified.expiresAt - Date.now(), 0), 2 ** 31 - 1),
      );
    }
    return connection;
  }

  /** Forgets a connection that closed: its expiry timer and its place in its caller's count. */
  closed(connection: Connection): void {
    clearTimeout(connection.expiry);
    connection.confirmer?.close();
    if (connection.budget.kind === 'anonymous') this.anonymous--;
    const key = connection.budget.key;
    const open = (this.perCaller.get(key) ?? 1) - 1;
    if (open <= 0) this.perCaller.delete(key);
    else this.perCaller.set(key, open);
  }
}

/** True when `opened` is a refusal rather than a connection. */
export function isRefusal(opened: Connection | Refusal): opened is Refusal {
  return 'error' in opened;
}

function refusal(
  code: number,
  reason: string,
  errorCode: ErrorCode,
  status: number,
  extensions: Record<string, unknown>,
): Refusal {
  const message = reason.replace(/^[^:]*: /, '');
  return {
    code,
    reason,
    error: new ClientError(errorCode, `${message[0]!.toUpperCase()}${message.slice(1)}.`, {
      ...extensions,
      http: { status },
    }),
  };
}
