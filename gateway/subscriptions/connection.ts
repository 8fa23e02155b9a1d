import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Extra } from 'graphql-ws/use/ws';
import type { WebSocket } from 'ws';
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

/** One client connection: the context of its operations, as a request's is over HTTP. */
export interface Connection extends GatewayContext {
  /** Operations under way on it, counted from the moment they are admitted. */
  operations: number;
  socket: WebSocket;
  /** Confirms what the client has received (set once it is open). */
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
 * The gateway's open client connections. A connection is opened on `connection_init`: the token
 * in its payload (`authorization: "Bearer …"`, or `token`) is verified, and a bad one refused
 * with 4403, as is a caller past its connections; the connection closes with 4403 when the
 * token expires (graphql-ws clients retry 4403, and give up for good on 4401).
 */
export class Connections {
  /** Open connections per budget key: a token's organisation and subject, or an address. */
  private readonly perCaller = new Map<string, number>();
  private anonymous = 0;

  constructor(private readonly options: ConnectionOptions) {}

  /** The connection of `connection_init`, or undefined when its socket was closed instead. */
  async open(
    params: Readonly<Record<string, unknown>> | undefined,
    extra: Extra,
  ): Promise<Connection | undefined> {
    const { auth, identity, maxPerCaller } = this.options;
    const requestId = randomUUID();
    const log = this.options.log.child({ requestId });
    let verified;
    try {
      verified = await auth.verify(authorizationOf(params ?? {}));
    } catch (err) {
      const reason = (err as GraphQLError).extensions?.reason ?? 'invalid';
      log.info({ reason }, 'subscription connection refused');
      extra.socket.close(CloseCode.Forbidden, `Forbidden: token ${String(reason)}`);
      return undefined;
    }
    const budget = budgetKeyOf(verified.caller, this.options.addressOf(extra.request));
    if (budget.kind === 'anonymous' && this.anonymous >= this.options.maxAnonymous) {
      extra.socket.close(
        CloseCode.TryAgainLater,
        'Try again later: too many anonymous connections',
      );
      return undefined;
    }
    const open = this.perCaller.get(budget.key) ?? 0;
    if (open >= maxPerCaller) {
      extra.socket.close(
        CloseCode.Forbidden,
        `Forbidden: more than ${maxPerCaller} connections for this ${budget.kind === 'caller' ? 'token' : 'address'}`,
      );
      return undefined;
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
      socket: extra.socket,
      close: (code, reason) => extra.socket.close(code, reason),
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

/** The `Authorization` value of a `connection_init` payload. */
function authorizationOf(params: Readonly<Record<string, unknown>>): string | undefined {
  const given = params.authorization ?? params.Authorization;
  if (typeof given === 'string') return given;
  return typeof params.token === 'string' ? `Bearer ${params.token}` : undefined;
}
