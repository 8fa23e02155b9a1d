import cors from 'cors';
import type express from 'express';

/** Any port of the loopback host names: what a frontend's development server runs on. */
const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/** Request headers a browser may send: Apollo Client's, urql's and graphql-sse's among them. */
const ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'accept',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'x-request-id',
];

/** Answer headers browser code may read. */
const EXPOSED_HEADERS = ['retry-after', 'ratelimit', 'ratelimit-policy', 'x-request-id'];

export interface CorsOptions {
  /** Exact origins allowed, e.g. `https://innboks.example.no`. */
  origins: readonly string[];
  /** Also allow every `http://localhost:*` and `http://127.0.0.1:*` origin (development). */
  allowLocal: boolean;
}

/** Whether browser code of an origin may call the gateway (and read its answers). */
export function originAllowed(options: CorsOptions): (origin: string) => boolean {
  const listed = new Set(options.origins);
  return (origin) => listed.has(origin) || (options.allowLocal && LOCAL_ORIGIN.test(origin));
}

/**
 * CORS for the GraphQL path (the `cors` package): an allowed origin's preflight is answered 204
 * with the methods and headers above; a preflight from any other origin is refused 403, so it
 * never reaches Apollo's CSRF check. Requests without `Origin` (servers, curl) are not affected,
 * and CSRF prevention still holds for every request that is not a preflight.
 */
export function corsFor(options: CorsOptions): express.RequestHandler[] {
  const allowed = originAllowed(options);
  const refuseOthers: express.RequestHandler = (req, res, next) => {
    const origin = req.get('origin');
    if (req.method === 'OPTIONS' && origin !== undefined && !allowed(origin)) {
      res.status(403).json({
        errors: [
          {
            message: `Origin ${origin.slice(0, 100)} is not allowed.`,
            extensions: { code: 'FORBIDDEN' },
          },
        ],
      });
      return;
    }
    next();
  };
  return [
    refuseOthers,
    cors({
      origin: (origin, done) => done(null, origin !== undefined && allowed(origin)),
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      // Tokens travel in Authorization, never in cookies.
      credentials: false,
      maxAge: 600,
    }),
  ];
}
