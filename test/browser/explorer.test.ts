import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/auth.js';
import { gatewayExplorer } from '../../gateway/explorer.js';
import { signDevToken } from '../../platform/auth/devKeys.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { bearer, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { launchChromium, type TestBrowser } from './chromium.js';

/**
 * The explorer as a developer meets it: `npm start`'s gateway (development keys, a token for the
 * demo bakery prefilled) opened in Debian's chromium. Everything it loads comes from the gateway:
 * any request to another host, any CSP violation and any script error fails the test.
 */

const BAKERY = '310012343';
const SKATTEETATEN = '974761076';

let db: TestDatabase;
let graph: TestGraph;
let keys: string;
let browser: TestBrowser;

beforeAll(async () => {
  db = await createTestDatabase();
  keys = await mkdtemp(path.join(tmpdir(), 'dpv-explorer-keys-'));
  const devKeyPath = path.join(keys, 'dev-signing-key.json');
  // The gateway as config.ts sets it up in development: its own key pair, no JWKS.
  const auth = await createAuthenticator({ devKeyPath });
  graph = await startTestGraph(db.url, {
    auth,
    explorer: gatewayExplorer({
      production: false,
      enabled: undefined,
      auth,
      devKeyPath,
      tokenOrg: BAKERY,
      tokenScope: 'dpv:read',
      tokenTtlSeconds: 86_400,
    }),
  });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await graph?.close();
  await db?.drop();
  if (keys) await rm(keys, { recursive: true, force: true });
});

/** The texts of the CodeMirror editors inside `selector`. */
const editorTexts = (page: Page, selector: string) =>
  page.evaluate(
    (s) =>
      [...(globalThis as any).document.querySelectorAll(`${s} .CodeMirror`)].map((el: any) =>
        String(el.CodeMirror.getValue()),
      ),
    selector,
  );
const editorText = async (page: Page, selector: string) =>
  (await editorTexts(page, selector))[0] ?? null;

async function runInEditor(page: Page, query: string): Promise<void> {
  await page.evaluate((q) => {
    const el = (globalThis as any).document.querySelector(
      '.graphiql-query-editor .CodeMirror',
    ) as unknown as {
      CodeMirror: { setValue(v: string): void };
    };
    el.CodeMirror.setValue(q);
  }, query);
  // As after typing: GraphiQL parses the editor's text a moment later (debounced), and picks
  // the transport (HTTP or graphql-ws) from the parsed operation.
  await new Promise((r) => setTimeout(r, 600));
  await page.click('.graphiql-execute-button');
}

/** Polls the result pane until `check` holds for its text. */
const resultShows = (page: Page, check: (text: string) => boolean, timeout = 15_000) =>
  expect
    .poll(async () => check((await editorText(page, '.result-window')) ?? ''), {
      timeout,
      interval: 100,
    })
    .toBe(true);

describe('GraphiQL at GET /graphql, in chromium', () => {
  it('loads from the gateway alone under a strict CSP, runs an inbox query with the prefilled development token, and streams a subscription', async () => {
    const { page, errors } = await browser.page();
    const origin = new URL(graph.gateway.url).origin;
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith(origin.replace('http', 'ws'))) {
        elsewhere.push(r.url());
      }
    });
    const res = await page.goto(graph.gateway.url);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res?.headers()['cache-control']).toBe('no-store');
    await page.waitForSelector('.graphiql-execute-button', { timeout: 30_000 });

    // The headers editor opens with a token the gateway signed for the bakery.
    const tools = await editorTexts(page, '.graphiql-editor-tool');
    const headers = JSON.parse(tools.find((t) => t.includes('Authorization')) ?? '{}') as {
      Authorization?: string;
    };
    expect(headers.Authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    await runInEditor(
      page,
      `{ enhet(organisasjonsnummer: "${BAKERY}") { navn inbox(first: 5) { totalCount nodes { title sender { navn } } } } }`,
    );
    await resultShows(page, (t) => t.includes('"totalCount"') && t.includes('FJELLTOPP BAKERI AS'));
    const inbox = JSON.parse((await editorText(page, '.result-window'))!) as {
      data: { enhet: { inbox: { totalCount: number } } };
    };
    expect(inbox.data.enhet.inbox.totalCount).toBeGreaterThan(0);

    // A subscription over graphql-ws, with the same headers as its connection's parameters.
    await runInEditor(
      page,
      `subscription { messagePublished(recipient: "${BAKERY}") { cursor message { title sender { navn } } } }`,
    );
    // The gateway subscribes upstream before the first event can be delivered.
    await expect
      .poll(
        () =>
          graph.gateway.metrics.render().then((m) => /subscriptions_active\S* [1-9]/.test(m.body)),
        {
          timeout: 10_000,
          interval: 100,
        },
      )
      .toBe(true);
    await new Promise((r) => setTimeout(r, 750));
    const title = `Explorer ${Date.now()}`;
    const sent = await post(
      graph.gateway.url,
      'mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id status } }',
      {
        input: {
          recipient: BAKERY,
          service: 'SKATTER_AVGIFTER',
          sendersReference: title,
          title,
          body: 'Sendt mens utforskeren lyttet.',
        },
      },
      bearer(
        await signDevToken(path.join(keys, 'dev-signing-key.json'), {
          sub: 'browser-test',
          org: SKATTEETATEN,
          scope: 'dpv:send',
          ttl: 600,
        }),
      ),
    );
    expect(sent.errors).toBeUndefined();
    await resultShows(page, (t) => t.includes(title) && t.includes('SKATTEETATEN'));

    expect(errors).toEqual([]);
    expect(elsewhere).toEqual([]);
    await page.close();
  });
});
