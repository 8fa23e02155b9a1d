import type http from 'node:http';
import type express from 'express';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import { isRefusal, type Connection } from '../connection.js';
import type { SubscriptionCore } from '../core.js';
import { clientErrors, jsonBody, statusOf, type HttpTransport } from './http.js';

/**
 * Server-Sent Events by the graphql-sse protocol, with graphql-sse's own handler, in its
 * "distinct connections" mode: a request with `Accept: text/event-stream` carries one operation
 * and streams its results as `next` events, then `complete`. Each request is one connection of
 * the core (its token from the Authorization header, refused with 401, 429 past the caller's
 * connections), its operation admitted and run by the core. The "single connection" mode (a
 * reserved stream shared by operations) is not served: it would need its own identity binding
 * and per-stream caps. The core closing a connection (a slow client, an expired token, a
 * shutdown) cuts the response; graphql-sse's client then retries, and an expired token gets 401.
 */
export function sseSubscriptions(core: SubscriptionCore, bodyLimit: string): HttpTransport {
  const parse = jsonBody(bodyLimit);
  const connections = new WeakMap<http.IncomingMessage, Connection>();
  const open = new Set<express.Response>();
  const handle = createHandler({
    // The verified caller, or the refusal as the answer; never a stream token (no single
    // connection mode).
    authenticate: async (req) => {
      const raw = req.raw;
      const res = req.context.res;
      const opened = await core.connect(raw.headers.authorization, raw, {
        buffered: () => res.writableLength,
        close: () => res.destroy(),
      });
      if (isRefusal(opened)) return errorAnswer([opened.error], core);
      connections.set(raw, opened);
      res.once('close', () => core.disconnect(opened));
      return null;
    },
    onSubscribe: async (req, params) => {
      const connection = connections.get(req.raw);
      if (!connection) return errorAnswer([], core);
      const admitted = await core.admit(connection, {
        query: params.query,
        operationName: params.operationName ?? undefined,
        variables: params.variables ?? undefined,
      });
      return 'schema' in admitted ? (admitted as never) : errorAnswer(admitted, core);
    },
    // Admission validated the document (cached per generation).
    validate: () => [],
    execute: (args) => core.execute(args),
    subscribe: (args) => core.subscribe(args),
    // Formatted as over HTTP (graphql-sse's types want GraphQLErrors; JSON is what is sent).
    onNext: (_ctx, _req, result) =>
      (result as ExecutionResult).errors
        ? ({ ...result, errors: core.formatErrors((result as ExecutionResult).errors!) } as never)
        : undefined,
  });
  return {
    handler: (req, res, next) => {
      if (req.headers.accept !== 'text/event-stream') return next();
      parse(req, res, (err?: unknown) => {
        if (err) return next(err);
        open.add(res);
        core.metrics.httpSubscriptionStreams.inc({ transport: 'sse' });
        res.once('close', () => {
          open.delete(res);
          core.metrics.httpSubscriptionStreams.dec({ transport: 'sse' });
        });
        handle(req, res).catch(next);
      });
    },
    close: async () => {
      for (const res of open) res.destroy();
    },
  };
}

/** A JSON answer of `errors` with their status, as graphql-sse's handler takes answers. */
function errorAnswer(
  errors: readonly GraphQLError[],
  core: SubscriptionCore,
): [string, { status: number; statusText: string; headers: Record<string, string> }] {
  const status = errors.length > 0 ? statusOf(errors) : 500;
  return [
    JSON.stringify({ errors: clientErrors(errors, core.formatErrors) }),
    {
      status,
      statusText: status === 401 ? 'Unauthorized' : 'Refused',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    },
  ];
}
