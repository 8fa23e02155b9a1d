import type express from 'express';

/**
 * Cross-site request forgery prevention for `/graphql`, in place of Apollo Server's own check,
 * which refuses every GET that carries neither a non-simple content type nor one of Apollo's
 * headers: urql's default GET for queries (no content type, no such header) among them.
 *
 * What a forged request could do here: the gateway authenticates by the `Authorization` header
 * only (no cookies, no HTTP authentication a browser would add by itself), and a page can send
 * that header to another origin only after a preflight that CORS (edge/cors.ts) answers for
 * allowed origins alone. So a request a foreign page can make without a preflight is anonymous.
 * A POST can still carry a mutation: POSTs keep Apollo's rule. A GET runs only a query (Apollo
 * answers 405 to a mutation over GET), so a forged GET can do no more than an anonymous query
 * that an attacker could send from anywhere; it is refused all the same when a browser marks it
 * as sent by a page on a site that CORS does not allow, so that such pages cannot make visitors'
 * browsers spend their address's anonymous budget.
 *
 * A request passes when any of these holds:
 * - it would have needed a preflight: a content type other than the three simple ones, or a
 *   non-empty `Authorization`, `X-Apollo-Operation-Name` or `Apollo-Require-Preflight` header;
 * - it is a GET, and not from a foreign page: its `Origin` is allowed, or its `Sec-Fetch-Site`
 *   is `same-origin` or `none` (typed by the user), or it has neither header (not a browser's
 *   cross-site request: servers, curl, Node clients).
 */
export function csrfPrevention(originAllowed: (origin: string) => boolean): express.RequestHandler {
  return (req, res, next) => {
    if (req.method === 'OPTIONS' || preflighted(req)) return next();
    if (req.method === 'GET' && !fromForeignPage(req, originAllowed)) return next();
    res.status(400).json({
      errors: [
        {
          message:
            'This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
            `Send a 'content-type' other than ${SIMPLE_CONTENT_TYPES.join(', ')}, or a non-empty ` +
            `value for one of the headers ${PREFLIGHT_HEADERS.join(', ')}.`,
          extensions: { code: 'BAD_REQUEST' },
        },
      ],
    });
  };
}

/** The content types a browser sends cross-origin without a preflight. */
const SIMPLE_CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
];

/** Headers a page cannot send to another origin without a preflight (Apollo's two, and ours). */
const PREFLIGHT_HEADERS = ['authorization', 'x-apollo-operation-name', 'apollo-require-preflight'];

function preflighted(req: express.Request): boolean {
  const contentType = req.get('content-type');
  if (contentType !== undefined) {
    const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
    if (!SIMPLE_CONTENT_TYPES.includes(essence)) return true;
  }
  return PREFLIGHT_HEADERS.some((name) => (req.get(name) ?? '').length > 0);
}

function fromForeignPage(
  req: express.Request,
  originAllowed: (origin: string) => boolean,
): boolean {
  const origin = req.get('origin');
  if (origin !== undefined && originAllowed(origin)) return false;
  const site = req.get('sec-fetch-site');
  if (site === 'same-origin' || site === 'none') return false;
  return origin !== undefined || site !== undefined;
}
