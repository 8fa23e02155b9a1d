import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import { WebSocket } from 'ws';
import { CALLER_HEADER } from '../../platform/auth/internalIdentity.js';
import { figures, type Figures } from './stats.js';

export interface LatencyOptions {
  /** The subgraph's GraphQL URL (http). */
  subgraphUrl: string;
  databaseUrl: string;
  /** Signed caller that reads `recipient`'s inbox. */
  token: string;
  recipient: string;
  /** Events per second to publish. */
  rate: number;
  durationMs: number;
  /** Messages per transaction (the publisher batches scheduled ones). @default 1 */
  batch?: number;
  /** Publishing connections. @default 8 */
  connections?: number;
}

/**
 * Messages published as services/store.ts publishes them: the rows in status Published with the
 * next publish_seq, their outbox rows (positioned by the relay after commit) and the NOTIFY to the
 * relay. Sent as one round trip; the values are ours (UUIDs and a 9-digit key), not input.
 */
export function publishSql(
  messages: Array<{ id: string; recipient: string }>,
  /** Title and body of every message: a word of ours, no quotes. */
  title: string,
): string {
  const rows = messages.map(
    ({ id, recipient }) => `('${id}', '${title}', '${recipient}', '974761076', '974761076',
      'bench-${id}', 'SKATTEETATEN', '4255/8', false, 'nb', '${title}.', now(), 'Published',
      now(), now(), nextval('message_publish_seq'))`,
  );
  const list = messages.map(({ id }) => `'${id}'`).join(', ');
  return `begin;
    insert into message (id, title, recipient_orgnr, sender_orgnr, technical_sender_orgnr,
      senders_reference, message_sender, service_code, confidential, language, body, publish_at,
      status, status_changed_at, published_at, publish_seq)
    values ${rows.join(', ')};
    insert into outbox (kind, message_id, recipient_orgnr, service_code, status)
      select 'Published', id, recipient_orgnr, service_code, 'Published' from message
      where id in (${list}) order by publish_seq, id;
    select pg_notify('meldingsboks_outbox_raw', '');
    commit;`;
}

/**
 * Publishes at a paced `rate` for `durationMs` while one graphql-ws client subscribes to
 * `messagePublished(recipient)`, and times each event from its commit (as acknowledged to the
 * publisher) to its arrival at the subscriber.
 */
export async function publishLatency(o: LatencyOptions): Promise<Figures> {
  const pool = new pg.Pool({
    connectionString: o.databaseUrl,
    options: '-c search_path=meldingsboks,public',
    max: o.connections ?? 8,
  });
  const committed = new Map<string, number>();
  const arrived = new Map<string, number>();
  /** Events of the warm-up, which may still arrive after it. */
  const warmup = new Set<string>();
  let onArrival: (() => void) | undefined;
  const client = createClient({
    url: o.subgraphUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { [CALLER_HEADER]: o.token },
    retryAttempts: 0,
  });
  const errors: unknown[] = [];
  const unsubscribe = client.subscribe<{ messagePublished: { message: { id: string } } }>(
    {
      query: `subscription ($r: String!) { messagePublished(recipient: $r) { cursor message { id } } }`,
      variables: { r: o.recipient },
    },
    {
      next: (r) => {
        const id = r.data?.messagePublished.message.id;
        if (id && !warmup.has(id)) arrived.set(id, performance.now());
        if (r.errors) errors.push(...r.errors);
        onArrival?.();
      },
      error: (e) => void errors.push(e),
      complete: () => {},
    },
  );
  const batch = o.batch ?? 1;
  const publish = async () => {
    const ids = Array.from({ length: batch }, () => randomUUID());
    await pool.query(
      publishSql(
        ids.map((id) => ({ id, recipient: o.recipient })),
        'Latenstest',
      ),
    );
    const at = performance.now();
    for (const id of ids) committed.set(id, at);
    return ids[0]!;
  };
  /** Waits, at most `ms`, until `done()`: checked on every arrival and every 50 ms. */
  const waitFor = async (done: () => boolean, ms: number) => {
    const until = performance.now() + ms;
    while (!done() && performance.now() < until) {
      await new Promise<void>((r) => {
        onArrival = r;
        setTimeout(r, 50);
      });
    }
    return done();
  };
  try {
    // The subscription reads the head when it starts: publish until one event comes through.
    let live = false;
    for (let i = 0; i < 100 && !live; i++) {
      const id = await publish();
      live = await waitFor(() => arrived.has(id), 200);
    }
    if (!live) throw new Error(`the subscription never went live: ${JSON.stringify(errors)}`);
    for (const id of committed.keys()) warmup.add(id);
    committed.clear();
    arrived.clear();

    const transactions = Math.round((o.rate * o.durationMs) / 1000 / batch);
    const perMs = o.rate / batch / 1000;
    const pending: Array<Promise<unknown>> = [];
    let failed = 0;
    const began = performance.now();
    for (let sent = 0; sent < transactions;) {
      const due = Math.min(transactions, Math.floor((performance.now() - began) * perMs) + 1);
      for (; sent < due; sent++) pending.push(publish().catch(() => (failed += batch)));
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(pending);
    const publishMs = performance.now() - began;
    // Every arrival is one of ours (the subscription sees only this recipient, sent only here).
    await waitFor(() => arrived.size >= committed.size, 15_000);

    const times: number[] = [];
    for (const [id, at] of committed) {
      const got = arrived.get(id);
      if (got !== undefined) times.push(got - at);
    }
    const received = [...committed.keys()].filter((id) => arrived.has(id)).length;
    const note =
      `sent ${committed.size} at ${((committed.size / publishMs) * 1000).toFixed(0)}/s ` +
      `(target ${o.rate}/s), received ${received}` +
      (failed ? `, ${failed} publishes failed` : '') +
      (errors.length ? `, subscription errors: ${JSON.stringify(errors[0])}` : '');
    const name = `publish → subscriber, ${batch}/tx @ ${o.rate}/s`;
    return figures(name, times, publishMs, failed, note);
  } finally {
    unsubscribe();
    await client.dispose();
    await pool.end();
  }
}
