/**
 * The explorer's start script. It runs in the browser, not here: explorer.ts sends this
 * function's source text as `start.js`, after React, ReactDOM and GraphiQL's UMD files have set
 * their globals. So it uses only what a browser has, refers to nothing outside itself, and is
 * typed against the few browser and GraphiQL shapes it touches (the project's lib has no DOM).
 */

interface BrowserGlobals {
  document: {
    getElementById(id: string): { textContent: string | null } | null;
  };
  location: { href: string };
  React: { createElement(type: unknown, props: Record<string, unknown>): unknown };
  ReactDOM: { createRoot(container: unknown): { render(element: unknown): void } };
  GraphiQL: ((props: Record<string, unknown>) => unknown) & {
    /** @graphiql/toolkit's createGraphiQLFetcher: HTTP for queries, graphql-ws for subscriptions. */
    createFetcher(options: { url: string; subscriptionUrl?: string | undefined }): unknown;
  };
}

/** What explorer.ts puts in the page's `explorer-settings` data block. */
export interface ExplorerSettings {
  /** The GraphQL endpoint's path. */
  path: string;
  /** Whether the endpoint serves graphql-ws at the same path. */
  subscriptions: boolean;
  /** The headers editor's text (JSON). */
  headers: string;
}

export function startExplorer(): void {
  const browser = globalThis as unknown as BrowserGlobals;
  const block = browser.document.getElementById('explorer-settings');
  const settings = JSON.parse(block?.textContent ?? '{}') as ExplorerSettings;
  const url = new URL(settings.path, browser.location.href).href;
  // GraphiQL hands the headers editor's values to graphql-ws as the connection's parameters,
  // where the gateway reads `Authorization` as it does on HTTP.
  const fetcher = browser.GraphiQL.createFetcher({
    url,
    subscriptionUrl: settings.subscriptions ? url.replace(/^http/, 'ws') : undefined,
  });
  const root = browser.ReactDOM.createRoot(browser.document.getElementById('graphiql'));
  root.render(
    browser.React.createElement(browser.GraphiQL, {
      fetcher,
      defaultHeaders: settings.headers,
      // A token in the editor stays in this page: not written to the browser's storage.
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: settings.headers === '{}' ? undefined : 'headers',
    }),
  );
}
