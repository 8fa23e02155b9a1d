/**
 * A child process of bench/subscriptions.ts holding subscribers: one graphql-ws connection per
 * subscriber, through the gateway. It notes when each event arrives and, asked at the end of a
 * phase, compares what arrived with what was published (over IPC, see ./protocol.ts).
 */
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import {
  firmOf,
  type ClientReply,
  type ClientRequest,
  type FirmShape,
  type Collected,
  type Opened,
  type Published,
  type SubscriberSpec,
} from './protocol.js';

/** What an inbox subscriber asks: the message, and (with names) its sender's name from Enhetsregisteret. */
const inboxSubscription = (names: boolean) => /* GraphQL */ `
  subscription Inbox($recipient: String!) {
    messagePublished(recipient: $recipient) {
      cursor
      message {
        id
        title
        publishedAt
        sender {
          organisasjonsnummer
          ${names ? 'navn' : ''}
        }
      }
    }
  }
`;
export const INBOX_SUBSCRIPTION = inboxSubscription(true);
/** The same without names: nothing for the gateway to fetch from another subgraph. */
export const INBOX_PLAIN = inboxSubscription(false);
export const FIRM_PLAIN = /* GraphQL */ `
  subscription Clients {
    clientMessagePublished {
      cursor
      message {
        id
        title
        publishedAt
        sender {
          organisasjonsnummer
        }
        recipient {
          organisasjonsnummer
        }
      }
    }
  }
`;

/** What an accounting firm asks: its clients' new messages, with sender's and client's names. */
export const FIRM_SUBSCRIPTION = /* GraphQL */ `
  subscription Clients {
    clientMessagePublished {
      cursor
      message {
        id
        title
        publishedAt
        sender {
          organisasjonsnummer
          navn
        }
        recipient {
          organisasjonsnummer
          navn
        }
      }
    }
  }
`;

interface EventData {
  cursor: string;
  message: {
    id: string;
    title: string;
    sender?: { navn?: string | null } | null;
    recipient?: { navn?: string | null } | null;
  };
}

interface Subscriber {
  spec: SubscriberSpec;
  client: Client;
  connected: boolean;
  /** Set once the connection closed or the subscription failed or ended. */
  dropped?: string;
  /** Message id → first arrival (epoch ms) in this phase. */
  arrivals: Map<string, number>;
  duplicates: number;
  /** Any event at all arrived (the warm-up's sign that the subscription is live). */
  live: boolean;
  /** The last GraphQL error a result carried (to tell why a subscription completed). */
  lastError?: string;
}

const subscribers = new Map<number, Subscriber>();
/** The title of this phase's messages; others are not counted. */
let phaseTitle: string | undefined;
let received = 0;
let stale = 0;
let missingNavn = 0;
let errors = 0;
let firstError: string | undefined;
const drops = new Map<string, number>();

const now = () => performance.timeOrigin + performance.now();

/** ws, bound to a local address when the subscriber has one. */
function socketClass(localAddress: string | undefined): unknown {
  if (!localAddress) return WebSocket;
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { localAddress });
    }
  };
}

function describe(event: unknown): string {
  if (event && typeof event === 'object') {
    const e = event as { code?: number; reason?: string; message?: string };
    if (typeof e.code === 'number') return `close ${e.code}${e.reason ? ` ${e.reason}` : ''}`;
    if (typeof e.message === 'string') return `error ${e.message}`;
  }
  if (Array.isArray(event)) return `graphql ${JSON.stringify(event).slice(0, 200)}`;
  return String(event);
}

function drop(s: Subscriber, why: string): void {
  // Forgotten ones (closed on purpose) are no longer counted.
  if (s.dropped || subscribers.get(s.spec.index) !== s) return;
  s.dropped = why;
  // One bucket per kind of close, not per message.
  const key = why.slice(0, 120);
  drops.set(key, (drops.get(key) ?? 0) + 1);
}

/** Opens the subscribers; resolves when each has connected, or failed, or timed out. */
async function open(
  url: string,
  selection: 'navn' | 'plain',
  specs: SubscriberSpec[],
  timeoutMs: number,
): Promise<Opened> {
  const plain = selection === 'plain';
  const failed: Opened['failed'] = [];
  await Promise.all(
    specs.map(
      (spec) =>
        new Promise<void>((resolve) => {
          let settled = false;
          const settle = (reason?: string) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            if (reason) failed.push({ index: spec.index, reason });
            resolve();
          };
          const timer = setTimeout(() => {
            settle(`no connection_ack within ${timeoutMs} ms`);
            void s.client.dispose();
          }, timeoutMs);
          const client = createClient({
            url,
            webSocketImpl: socketClass(spec.localAddress),
            connectionParams: { authorization: `Bearer ${spec.token}` },
            lazy: false,
            retryAttempts: 0,
            onNonLazyError: () => {},
            on: {
              connected: () => {
                s.connected = true;
                settle();
              },
              closed: (event) => {
                const why = describe(event);
                if (s.connected) drop(s, why);
                else settle(why);
              },
              error: (error) => {
                if (!s.connected) settle(describe(error));
              },
            },
          });
          const s: Subscriber = {
            spec,
            client,
            connected: false,
            arrivals: new Map(),
            duplicates: 0,
            live: false,
          };
          subscribers.set(spec.index, s);
          const field = spec.kind === 'inbox' ? 'messagePublished' : 'clientMessagePublished';
          client.subscribe<Record<string, EventData>>(
            spec.kind === 'inbox'
              ? {
                  query: plain ? INBOX_PLAIN : INBOX_SUBSCRIPTION,
                  variables: { recipient: spec.recipient },
                }
              : { query: plain ? FIRM_PLAIN : FIRM_SUBSCRIPTION },
            {
              next: (result) => {
                const at = now();
                if (result.errors?.length) {
                  errors++;
                  s.lastError = result.errors
                    .map((e) => e.message)
                    .join('; ')
                    .slice(0, 160);
                  firstError ??= JSON.stringify(result.errors[0]).slice(0, 300);
                }
                const event = result.data?.[field];
                if (!event) return;
                s.live = true;
                const message = event.message;
                if (message.title !== phaseTitle) {
                  stale++;
                  return;
                }
                received++;
                if (
                  (!plain && !message.sender?.navn) ||
                  (!plain && spec.kind === 'firm' && message.recipient && !message.recipient.navn)
                ) {
                  missingNavn++;
                }
                if (s.arrivals.has(message.id)) s.duplicates++;
                else s.arrivals.set(message.id, at);
              },
              error: (error) => drop(s, `subscription ${describe(error)}`),
              complete: () =>
                drop(
                  s,
                  `subscription completed${s.lastError ? ` after the error "${s.lastError}"` : ''}`,
                ),
            },
          );
        }),
    ),
  );
  return { ok: specs.length - failed.length, failed };
}

/** Compares what each subscriber got in this phase with what it should have got. */
function collect(published: Published, firms: FirmShape): Collected {
  const index = new Map<string, number>();
  published.ids.forEach((id, i) => index.set(id, i));
  // Message positions by recipient, to find each subscriber's expected ones quickly.
  const byRecipient = new Map<number, number[]>();
  published.recipients.forEach((r, i) => {
    let list = byRecipient.get(r);
    if (!list) byRecipient.set(r, (list = []));
    list.push(i);
  });
  const byFirm = new Map<number, number[]>();
  published.recipients.forEach((r, i) => {
    const f = firmOf(r, firms);
    if (f === undefined) return;
    let list = byFirm.get(f);
    if (!list) byFirm.set(f, (list = []));
    list.push(i);
  });
  const latencies: number[] = [];
  let expected = 0;
  let delivered = 0;
  let duplicates = 0;
  let unexpected = 0;
  for (const s of subscribers.values()) {
    // Those that never connected are counted by the ramp, not here.
    if (!s.connected) continue;
    const wanted =
      (s.spec.kind === 'inbox' ? byRecipient : byFirm).get(s.spec.target) ?? ([] as number[]);
    expected += wanted.length;
    for (const i of wanted) {
      const at = s.arrivals.get(published.ids[i]!);
      if (at === undefined) continue;
      delivered++;
      latencies.push(at - published.committedAt[i]!);
    }
    let ours = 0;
    for (const id of s.arrivals.keys()) if (index.has(id)) ours++;
    // Every id of this phase that arrived and was not among the wanted ones.
    unexpected += ours - wanted.filter((i) => s.arrivals.has(published.ids[i]!)).length;
    duplicates += s.duplicates;
  }
  return {
    latencies: Float64Array.from(latencies),
    expected,
    delivered,
    lost: expected - delivered,
    duplicates,
    unexpected,
    missingNavn,
    errors,
    drops: Object.fromEntries(drops),
    ...(firstError ? { firstError } : {}),
  };
}

async function handle(request: ClientRequest): Promise<ClientReply> {
  switch (request.type) {
    case 'open':
      return {
        id: request.id,
        type: 'opened',
        ...(await open(request.url, request.selection, request.subscribers, request.timeoutMs)),
      };
    case 'status': {
      const notReady: number[] = [];
      let dropped = 0;
      for (const s of subscribers.values()) {
        if (!s.connected) continue;
        if (s.dropped) dropped++;
        else if (!s.live) notReady.push(s.spec.index);
      }
      return {
        id: request.id,
        type: 'status',
        notReady,
        received,
        stale,
        dropped,
        drops: Object.fromEntries(drops),
      };
    }
    case 'phase':
      phaseTitle = request.title;
      received = 0;
      stale = 0;
      missingNavn = 0;
      errors = 0;
      for (const s of subscribers.values()) {
        s.arrivals.clear();
        s.duplicates = 0;
      }
      return { id: request.id, type: 'phase' };
    case 'collect':
      return {
        id: request.id,
        type: 'collected',
        ...collect(request.published, request.firms),
      };
    case 'forget':
      for (const index of request.indices) {
        const s = subscribers.get(index);
        if (!s) continue;
        subscribers.delete(index);
        void s.client.dispose();
      }
      return { id: request.id, type: 'forgot' };
    case 'close':
      await Promise.all([...subscribers.values()].map((s) => s.client.dispose()));
      subscribers.clear();
      return { id: request.id, type: 'closed' };
  }
}

process.on('message', (request: ClientRequest) => {
  void handle(request).then((reply) => process.send!(reply));
});
// The bench went away: so do we.
process.on('disconnect', () => process.exit(0));
