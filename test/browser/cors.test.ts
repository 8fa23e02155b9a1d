import http from 'node:http';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INBOX } from '../clients/documents.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import { launchChromium, type TestBrowser } from './chromium.js';

/**
 * CORS as a browser enforces it: a page served from another origin (a second local port) runs
 * Apollo Client, bundled from node_modules by esbuild, against the gateway with a bearer token
 * (so every request is preflighted). The gateway allows that origin only: the same page from a
 * third port is refused by the browser, not by a test's reading of headers.
 */

/** Ports of the two pages: the allowed origin and one the gateway does not list. */
const ALLOWED_PORT = 45_180;
const OTHER_PORT = 45_181;
const origin = (port: number) => `http://127.0.0.1:${port}`;

/** The page's script: Apollo Client as a frontend would set it up, exposed to the test. */
const ENTRY = `
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
globalThis.runInbox = async (uri, token, document, variables) => {
  const client = new ApolloClient({
    link: new HttpLink({ uri, headers: { authorization: 'Bearer ' + token } }),
    cache: new InMemoryCache({
      typePolicies: { Enhet: { fields: { inbox: relayStylePagination(['filter']) } } },
    }),
  });
  try {
    const { data } = await client.query({ query: gql(document), variables });
    return { data };
  } catch (err) {
    return { error: String(err && err.message) };
  }
};
`;

let db: TestDatabase;
let graph: TestGraph;
let browser: TestBrowser;
let token: string;
const pages: http.Server[] = [];

/** Serves the page and its bundled script on `port`. */
async function servePage(port: number, script: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><html><body><script src="/app.js"></script></body></html>');
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  pages.push(server);
  return server;
}

beforeAll(async () => {
  const bundled = await build({
    stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0]!.text;
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    // Production's setting: listed origins only, no http://127.0.0.1:* allowance.
    edge: { cors: { origins: [origin(ALLOWED_PORT)], allowLocal: false } },
  });
  token = await graph.issuer.token(reader(ORG.bakeri));
  await servePage(ALLOWED_PORT, script);
  await servePage(OTHER_PORT, script);
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  for (const server of pages) await new Promise((resolve) => server.close(resolve));
  await graph?.close();
  await db?.drop();
});

interface PageResult {
  data?: { enhet: { id: string; navn: string; inbox: { totalCount: number; edges: unknown[] } } };
  error?: string;
}

async function inboxFrom(port: number) {
  const { page, errors } = await browser.page();
  await page.goto(`${origin(port)}/`);
  await page.waitForFunction(() => typeof (globalThis as any).runInbox === 'function');
  const result = (await page.evaluate(
    ([uri, t, doc, org]) =>
      (globalThis as any).runInbox(uri, t, doc, { org, first: 2 }) as Promise<unknown>,
    [graph.gateway.url, token, INBOX, ORG.bakeri] as const,
  )) as PageResult;
  await page.close();
  return { result, errors };
}

describe('Apollo Client in chromium, from a page on another origin', () => {
  it('reads the inbox with a bearer token when the gateway allows the origin', async () => {
    const { result, errors } = await inboxFrom(ALLOWED_PORT);
    expect(result.error).toBeUndefined();
    expect(result.data!.enhet.id).toBe(`Enhet:${ORG.bakeri}`);
    expect(result.data!.enhet.inbox.edges).toHaveLength(2);
    expect(result.data!.enhet.inbox.totalCount).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('is stopped by the browser when the origin is not allowed', async () => {
    const { result, errors } = await inboxFrom(OTHER_PORT);
    expect(result.data).toBeUndefined();
    expect(result.error).toMatch(/fetch/i);
    // Chromium says why: the preflight's answer did not allow the origin.
    expect(errors.join('\n')).toMatch(/CORS/);
  });
});
