import type express from 'express';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import Negotiator from 'negotiator';
import { isRefusal, type Connection } from '../connection.js';
import type { SubscriptionCore } from '../core.js';
import { clientErrors, closingError, jsonBody, statusOf, type HttpTransport } from './http.js';

/** What a client asks for with `Accept` (Apollo Client sends the boundary too). */
const ACCEPTED = 'multipart/mixed;boundary=graphql;subscriptionSpec=1.0';
const CONTENT_TYPE = 'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"';
const DELIMITER = '\r\n--graphql';
const PART = '\r\ncontent-type: application/json\r\n\r\n';
const CLOSE = '--\r\n';

/**
 * Subscriptions over multipart HTTP, Apollo Router's protocol (what Apollo Client's HttpLink
 * speaks with no WebSocket link): a POST with `Accept: multipart/mixed;subscriptionSpec="1.0"`
 * gets one part per event, `{"payload": {data, errors?}}`, a `{}` heartbeat every
 * `limits.heartbeatMs`, and `{"payload": null, "errors": […]}` when the stream ends for a
 * reason of the gateway's. A refusal before the stream starts is a JSON answer with its status
 * (401 for a bad token, 429 past the caller's connections, 400 for the operation's limits). Each
 * request is one connection of the core; resuming is the client's: subscribe again with `after`.
 * Any other request passes on (queries and mutations go to Apollo Server).
 */
export function multipartSubscriptions(core: SubscriptionCore, bodyLimit: string): HttpTransport {
  const parse = jsonBody(bodyLimit);
  const open = new Set<Stream>();
  const serve = async (req: express.Request, res: express.Response, next: express.NextFunction) => {
    const body = req.body as Record<string, unknown> | undefined;
    const query = body?.query;
    const operationName = typeof body?.operationName === 'string' ? body.operationName : undefined;
    if (typeof query !== 'string' || core.operationKind(query, operationName) !== 'subscription') {
      return next();
    }
    // Set once the stream starts; the core may close the connection from then on.
    const started: { stream?: Stream } = {};
    const opened = await core.connect(req.get('authorization'), req, {
      buffered: () => res.writableLength,
      close: (code, reason) => started.stream?.end([closingError(code, reason)]),
    });
    if (isRefusal(opened)) {
      res.status(statusOf([opened.error])).json({
        errors: clientErrors([opened.error], core.formatErrors),
      });
      return;
    }
    const connection: Connection = opened;
    res.once('close', () => {
      started.stream?.stop();
      core.disconnect(connection);
    });
    const admitted = await core.admit(connection, {
      query,
      operationName,
      variables: (body?.variables ?? undefined) as Record<string, unknown> | undefined,
    });
    if (!('schema' in admitted)) {
      res.status(statusOf(admitted)).json({ errors: clientErrors(admitted, core.formatErrors) });
      return;
    }
    const outcome = await core.subscribe(admitted);
    if (!(Symbol.asyncIterator in outcome)) {
      res.json(formatted(outcome, core));
      return;
    }
    if (res.destroyed) {
      void outcome.return?.();
      return;
    }
    const stream = new Stream(res, outcome, core);
    started.stream = stream;
    open.add(stream);
    core.metrics.httpSubscriptionStreams.inc({ transport: 'multipart' });
    res.once('close', () => {
      open.delete(stream);
      core.metrics.httpSubscriptionStreams.dec({ transport: 'multipart' });
    });
    await stream.pump();
  };
  return {
    handler: (req, res, next) => {
      if (req.method !== 'POST' || !acceptsMultipartSubscription(req.headers.accept)) {
        return next();
      }
      parse(req, res, (err?: unknown) => {
        if (err) return next(err);
        serve(req, res, next).catch(next);
      });
    },
    close: async () => {
      for (const stream of open) {
        stream.end([
          {
            message: 'The gateway is restarting: subscribe again (after the last cursor).',
            extensions: { code: 'OVERLOADED' },
          },
        ]);
      }
    },
  };
}

/** True when `accept` asks for multipart subscriptions (a cheap test first: most do not). */
function acceptsMultipartSubscription(accept: string | undefined): boolean {
  if (!accept || !/subscriptionspec/i.test(accept)) return false;
  return new Negotiator({ headers: { accept } }).mediaType([ACCEPTED]) === ACCEPTED;
}

/** One response streaming one subscription's events as parts. */
class Stream {
  private ended = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly res: express.Response,
    private readonly events: AsyncIterableIterator<ExecutionResult>,
    private readonly core: SubscriptionCore,
  ) {
    res.writeHead(200, { 'content-type': CONTENT_TYPE, 'cache-control': 'no-store' });
    res.write(DELIMITER);
    this.flush();
    this.heartbeat = setInterval(() => this.part('{}'), core.limits.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Sends every event until the subscription ends or the client goes. */
  async pump(): Promise<void> {
    try {
      for await (const result of this.events) {
        if (this.ended) break;
        this.part(JSON.stringify({ payload: formatted(result, this.core) }));
      }
      this.end();
    } catch (err) {
      this.core.log.warn({ err }, 'multipart subscription failed');
      this.end(this.core.formatErrors([err as never]));
    }
  }

  /** Ends the stream, with a last part of `errors` when given. */
  end(errors?: GraphQLFormattedError[]): void {
    if (this.ended) return;
    if (errors) this.part(JSON.stringify({ payload: null, errors }));
    this.stop();
    this.res.end(CLOSE);
  }

  /** Stops the events and the heartbeat (the client has gone, or the stream ends). */
  stop(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    void this.events.return?.();
  }

  private part(json: string): void {
    if (this.ended || this.res.destroyed) return;
    this.res.write(PART + json + DELIMITER);
    this.flush();
  }

  /** Compression skips multipart answers; flush anyway should a middleware buffer. */
  private flush(): void {
    (this.res as { flush?: () => void }).flush?.();
  }
}

function formatted(result: ExecutionResult, core: SubscriptionCore) {
  return result.errors ? { ...result, errors: core.formatErrors(result.errors) } : result;
}
