import path from 'node:path';
import { parseArgs } from 'node:util';
import type { GraphQLFormattedError } from 'graphql';
import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { loadEnv } from '../../platform/runtime/env.js';
import { devKeyEnv, signDevToken } from '../../platform/auth/devKeys.js';

/**
 * `npm run -s watch -- --org 310024686` prints an accounting firm's live feed of new messages in
 * its clients' inboxes (`clientMessagePublished`), one line per message, over graphql-ws at the
 * gateway. Flags: --recipient ORGNR (one inbox: `messagePublished`), --after CURSOR (resume; each
 * line ends with its cursor), --url (default ws://127.0.0.1:4000/graphql), --token (default: a
 * development token for --org with `dpv:read`, minted again when it expires), --json (one JSON
 * line per event). Lost connections are retried from the last cursor; Ctrl-C stops.
 */
const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    recipient: { type: 'string' },
    after: { type: 'string' },
    url: { type: 'string', default: 'ws://127.0.0.1:4000/graphql' },
    token: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}
function printErrors(errors: readonly GraphQLFormattedError[] = []) {
  for (const e of errors) {
    console.error(`error [${String(e.extensions?.code ?? '?')}]: ${e.message}`);
  }
}
const orgnr = /^\d{9}$/;
if (!values.org || !orgnr.test(values.org)) fail('--org must be an organisasjonsnummer', 2);
if (values.recipient !== undefined && !orgnr.test(values.recipient)) {
  fail('--recipient must be an organisasjonsnummer', 2);
}
if (!URL.canParse(values.url) || !/^wss?:$/.test(new URL(values.url).protocol)) {
  fail('--url must be a ws:// or wss:// URL', 2);
}

interface Party {
  organisasjonsnummer: string;
  navn: string;
}
interface MessageEvent {
  cursor: string;
  message: {
    id: string;
    title: string;
    service: string;
    publishedAt: string | null;
    sender: Party | null;
    recipient: Party | null;
  } | null;
}

const field = values.recipient ? 'messagePublished' : 'clientMessagePublished';
const query = `subscription Watch($after: String${values.recipient ? ', $recipient: String!' : ''}) {
  ${field}(after: $after${values.recipient ? ', recipient: $recipient' : ''}) {
    cursor
    message { id title service publishedAt sender { organisasjonsnummer navn } recipient { organisasjonsnummer navn } }
  }
}`;

/** Without --token: a development token for --org, as `npm run token` signs it. */
const minting = values.token === undefined;
async function mint(): Promise<string> {
  const env = loadEnv(devKeyEnv);
  if (env.AUTH_JWKS_URL) console.error('warning: AUTH_JWKS_URL is set; dev tokens are refused');
  const key = path.resolve(env.AUTH_DEV_KEY_PATH);
  return signDevToken(key, { sub: 'dev-user', org: values.org, scope: 'dpv:read', ttl: 3600 });
}

let cursor = values.after;
/** The last result carried errors and no event (as when access is lost). */
let failed = false;
let client: Client | undefined;
const stop = () => void (client?.dispose() ?? Promise.resolve()).finally(() => process.exit(0));
process.once('SIGINT', stop).once('SIGTERM', stop);

function print(result: FormattedExecutionResult<Record<string, MessageEvent | null>>) {
  printErrors(result.errors);
  const event = result.data?.[field];
  failed = !event && (result.errors?.length ?? 0) > 0;
  if (!event) return;
  cursor = event.cursor;
  if (values.json) return void process.stdout.write(`${JSON.stringify(event)}\n`);
  const m = event.message;
  const at = m?.publishedAt ? new Date(m.publishedAt) : new Date();
  const recipient = m?.recipient;
  const to = recipient ? `${recipient.navn} (${recipient.organisasjonsnummer})` : '?';
  const line = [at.toLocaleString('sv-SE'), to, m?.sender?.navn ?? '?', m?.title ?? '?'];
  process.stdout.write(`${line.join('  ')}  after=${event.cursor}\n`);
}

/** One connection until it ends: null when the server completed the subscription. */
function subscribeOnce(token: string, connected: () => void): Promise<unknown> {
  const current = createClient({
    url: values.url,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
    on: { connected },
  });
  client = current;
  return new Promise<unknown>((resolve) => {
    current.subscribe<Record<string, MessageEvent | null>>(
      { query, variables: { after: cursor, recipient: values.recipient } },
      { next: print, error: resolve, complete: () => resolve(null) },
    );
  }).finally(() => current.dispose());
}

const what = values.recipient
  ? `inbox ${values.recipient} as ${values.org}`
  : `clients' inboxes of ${values.org}`;
console.error(
  `watching ${what} at ${values.url}${cursor ? ` after ${cursor}` : ''} ` +
    `(${minting ? 'minted dev token, dpv:read' : 'given token'})`,
);
let token = values.token ?? (await mint());
let delay = 1000;
for (;;) {
  const outcome = await subscribeOnce(token, () => (delay = 1000));
  const resume = cursor ? ` from after=${cursor}` : '';
  if (outcome === null)
    fail(`the server ended the subscription${failed ? ' (error)' : ''}`, +failed);
  if (Array.isArray(outcome)) {
    printErrors(outcome as GraphQLFormattedError[]);
    fail('the subscription was refused');
  }
  const { code, reason, message } = (outcome ?? {}) as {
    code?: number;
    reason?: string;
    message?: string;
  };
  if (code === 4401) {
    if (!minting) fail('the token expired; pass a fresh --token (or none, to mint dev tokens)');
    console.error(`token expired: minted a new one, resuming${resume}`);
    token = await mint();
  } else if (code === 4403) {
    fail(`refused: ${reason || 'forbidden'}`);
  } else if (code !== undefined && code >= 4000 && code < 4500) {
    fail(`closed by the server: ${code} ${reason ?? ''}`);
  } else {
    const why = code === undefined ? String(message ?? outcome) : `${code} ${reason ?? ''}`.trim();
    console.error(`connection lost (${why}); reconnecting in ${delay / 1000} s${resume}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}
