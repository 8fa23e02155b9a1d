import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import compression from 'compression';
import type express from 'express';
import { startExplorer } from './explorerStart.js';

/**
 * A self-hosted GraphiQL at `GET /graphql` for browsers: GraphiQL 3 (its prebuilt UMD file, which
 * bundles graphql-ws and @graphiql/toolkit) on React 18's UMD files, all read from node_modules
 * and served by the service itself, so that the explorer works on a closed network and the page
 * loads nothing from anywhere else. GraphiQL 4 and 5 ship no browser build (5 also needs Monaco's
 * web workers bundled): using them would mean a bundling step for the image and every clean clone.
 */
export interface ExplorerOptions {
  /**
   * Request headers the headers editor opens with (a development token); called for each page,
   * so that each page gets a fresh token. @default none
   */
  headers?: (() => Promise<Record<string, string>>) | undefined;
}

/** Where the page and its assets are served; assets under the GraphQL path pass any path-based proxy. */
export const EXPLORER_PATH = '/graphql';
const ASSET_PATH = `${EXPLORER_PATH}/explorer`;

const require = createRequire(import.meta.url);

interface Asset {
  type: string;
  body: Buffer;
}

/** The files the page loads, by name; read once, at start, so a request never touches the disk. */
function loadAssets(): Map<string, Asset> {
  // Packages export no subpath for these files: they are found beside each package.json.
  const file = (pkg: string, name: string, type: string): Asset => ({
    type,
    body: readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), name)),
  });
  const js = 'text/javascript; charset=utf-8';
  return new Map([
    ['react.js', file('react', 'umd/react.production.min.js', js)],
    ['react-dom.js', file('react-dom', 'umd/react-dom.production.min.js', js)],
    ['graphiql.js', file('graphiql', 'graphiql.min.js', js)],
    ['graphiql.css', file('graphiql', 'graphiql.min.css', 'text/css; charset=utf-8')],
    // Our own start script: a typed function of this code base, sent as its source text.
    ['start.js', { type: js, body: Buffer.from(`(${startExplorer.toString()})();\n`) }],
    ['explorer.css', { type: 'text/css; charset=utf-8', body: Buffer.from(EXPLORER_CSS) }],
  ]);
}

const EXPLORER_CSS = 'html, body, #graphiql { height: 100%; margin: 0; }\n';

/**
 * The explorer's policy: scripts, styles, images and fonts from this origin only (GraphiQL's CSS
 * embeds its fonts and icons as `data:` URLs), no inline script, no frames, no plugins, no
 * forms; connections to this origin over HTTP and WebSocket.
 */
function contentSecurityPolicy(req: express.Request): string {
  // 'self' covers ws: of the same host in current browsers; the explicit source serves the rest.
  const host = req.get('host') ?? '';
  const socket = /^[a-z0-9.\-[\]:]{1,300}$/i.test(host)
    ? ` ${req.protocol === 'https' ? 'wss' : 'ws'}://${host}`
    : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${socket}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The HTML page: no inline script; the settings ride in a JSON data block, which never runs. */
function page(settings: Record<string, unknown>): string {
  // `<` escaped: no value can close the data block.
  const json = JSON.stringify(settings).replace(/</g, '\\u003c');
  const asset = (name: string) => `${ASSET_PATH}/${name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset('graphiql.css')}">
<link rel="stylesheet" href="${asset('explorer.css')}">
<script id="explorer-settings" type="application/json">${json}</script>
<script src="${asset('react.js')}" defer></script>
<script src="${asset('react-dom.js')}" defer></script>
<script src="${asset('graphiql.js')}" defer></script>
<script src="${asset('start.js')}" defer></script>
</head>
<body><div id="graphiql">Loading the explorer…</div></body>
</html>
`;
}

/** True for a GET that a browser sends for a page: it prefers HTML to every GraphQL answer type. */
function wantsPage(req: express.Request): boolean {
  return (
    req.accepts([
      'application/graphql-response+json',
      'application/json',
      'multipart/mixed',
      'text/event-stream',
      'text/html',
    ]) === 'text/html'
  );
}

/**
 * Serves the explorer on `app`: the page for a browser's `GET /graphql`, its assets under
 * `/graphql/explorer/`. Every other request to `/graphql` goes on to GraphQL.
 */
export function serveExplorer(
  app: express.Express,
  options: ExplorerOptions & { subscriptions: boolean },
): void {
  const assets = loadAssets();
  // GraphiQL's file is 1 MB: compressed, it is a fifth of that.
  app.get(`${ASSET_PATH}/:name`, compression(), (req, res, next) => {
    const asset = assets.get(String(req.params.name));
    if (!asset) return next();
    res
      .set('content-type', asset.type)
      .set('x-content-type-options', 'nosniff')
      .set('cache-control', 'public, max-age=3600')
      .send(asset.body);
  });
  app.get(EXPLORER_PATH, (req, res, next) => {
    if (!wantsPage(req)) return next();
    void (async () => {
      const settings = {
        path: EXPLORER_PATH,
        subscriptions: options.subscriptions,
        headers: JSON.stringify((await options.headers?.()) ?? {}, null, 2),
      };
      res
        .status(200)
        .set('content-type', 'text/html; charset=utf-8')
        .set('content-security-policy', contentSecurityPolicy(req))
        .set('x-content-type-options', 'nosniff')
        .set('referrer-policy', 'no-referrer')
        // The page may carry a token: never kept by a cache.
        .set('cache-control', 'no-store')
        .send(page(settings));
    })().catch(next);
  });
}
