import express from 'express';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { CloseCode } from '../connection.js';
import { ErrorCode } from '../../../platform/graphql/errors.js';

/** A transport served on the gateway's HTTP path, and how it ends its open streams. */
export interface HttpTransport {
  /** Serves the requests of its protocol; passes every other request on. */
  handler: express.RequestHandler;
  /** Ends every stream it has open (the gateway shuts down). */
  close(): Promise<void>;
}

/** The request body as JSON, within `limit` (an express.json limit, e.g. '1mb'). */
export function jsonBody(limit: string): express.RequestHandler {
  return express.json({ limit });
}

/** The HTTP status an error asks for (`extensions.http.status`), else 400. */
export function statusOf(errors: readonly GraphQLError[]): number {
  const http = errors[0]?.extensions?.http as { status?: number } | undefined;
  return http?.status ?? 400;
}

/** Errors as sent to clients: without the `http` extension, which is the transport's. */
export function clientErrors(
  errors: readonly GraphQLError[],
  format: (errors: readonly GraphQLError[]) => GraphQLFormattedError[],
): GraphQLFormattedError[] {
  return format(errors).map((error) => {
    if (!error.extensions || !('http' in error.extensions)) return error;
    const extensions = { ...error.extensions };
    delete extensions.http;
    return { ...error, extensions };
  });
}

/** The error a stream ends with when the core closes its connection (see CloseCode). */
export function closingError(code: number, reason: string): GraphQLFormattedError {
  return {
    message: reason,
    extensions: {
      code: code === CloseCode.Forbidden ? ErrorCode.UNAUTHENTICATED : ErrorCode.OVERLOADED,
    },
  };
}
