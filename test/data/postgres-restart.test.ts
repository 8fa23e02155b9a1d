import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { openDatabase, type Database } from '../../platform/db/database.js';
import { createLogger } from '../../platform/runtime/logger.js';
import { startTestGraph, type SubgraphFixture, type TestGraph } from '../harness/graph.js';
import { post } from '../harness/graphql.js';
import { freePort } from '../harness/services.js';
import { gql, ORG, reader, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import { sleep, toWs, until } from '../graph/subscriptionHelpers.js';

/**
 * PostgreSQL stopped and started again under the running graph (an embedded server of this
 * test's own, on its own port, so that no other test file loses its database): what callers see
 * meanwhile, what readiness says, and that afterwards queries, the outbox relay, the live feed
 * and the varsling engine go on without losing an event.
 */

const log = createLogger('postgres-restart', 'warn');
let dir: string;
let port: number;
let server: Database;
let graph: TestGraph;
let client: Client | undefined;
let firm: Client | undefined;

const start = (dataDir: string) =>
  openDatabase({ dataDir, port, database: 'dpv', ephemeral: true, log });

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dpv-pg-restart-'));
  port = await freePort();
  server = await start(path.join(dir, 'pg'));
  graph = await startTestGraph(server.url);
}, 120_000);
afterAll(async () => {
  await client?.dispose();
  await firm?.dispose();
  await graph?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
}, 60_000);

const INBOX = `query ($org: String!) {
  enhet(organisasjonsnummer: $org) { navn inbox(first: 3) { totalCount nodes { title } } }
}`;

/** SQL on the graph's database, on a connection of its own each time. */
async function sql<R extends pg.QueryResultRow>(text: string): Promise<R[]> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    return (await c.query<R>(text)).rows;
  } finally {
    await c.end();
  }
}

const readyOf = async (url: string) =>
  (await fetch(url.replace('/graphql', '/ready')).catch(() => undefined))?.status;

describe('PostgreSQL restarted under the running graph', () => {
  it('fails queries clearly while it is away, then serves, relays and delivers every event', async () => {
    const headers = {
      authorization: `Bearer ${await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: 600 })}`,
    };
    const fixture = { subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
    // A stock graphql-ws client following the bakery's feed through the gateway.
    const ids: string[] = [];
    const feedErrors: unknown[] = [];
    const closes: number[] = [];
    client = createClient({
      url: toWs(graph.gateway.url),
      webSocketImpl: WebSocket,
      connectionParams: headers,
      on: { closed: (event) => void closes.push((event as { code: number }).code) },
    });
    client.subscribe(
      {
        query: `subscription ($recipient: String!) { messagePublished(recipient: $recipient) { cursor message { id } } }`,
        variables: { recipient: ORG.bakeri },
      },
      {
        next: (r) => {
          if (r.errors) feedErrors.push(r.errors);
          const id = (r.data as { messagePublished?: { message: { id: string } } })
            ?.messagePublished?.message.id;
          if (id) ids.push(id);
        },
        error: (err) => void feedErrors.push(err),
        complete: () => undefined,
      },
    );
    await sleep(1_000);
    const before = await sendTo(fixture, { recipient: ORG.bakeri, title: 'before the restart' });
    await until(() => ids.includes(before.id));
    expect((await post(graph.gateway.url, INBOX, { org: ORG.bakeri }, headers)).errors).toBe(
      undefined,
    );

    // Sent just before PostgreSQL goes: the relay may not have positioned it yet.
    const last = await sendTo(fixture, { recipient: ORG.bakeri, title: 'just before the stop' });
    await server.stop();
    const stoppedAt = performance.now();

    // Meanwhile: queries fail with an error naming the subgraph; nothing hangs.
    const during = await post(graph.gateway.url, INBOX, { org: ORG.bakeri }, headers);
    expect(during.status).toBe(200);
    expect(during.errors?.length).toBeGreaterThan(0);
    for (const e of during.errors!) {
      expect(e.extensions).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
      expect(e.message).toBe('The database is unavailable; try again shortly.');
      expect(typeof e.extensions?.serviceName).toBe('string');
    }
    const write = await gql(
      fixture,
      `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id } }`,
      {
        input: {
          recipient: ORG.bakeri,
          service: 'SKATTER_AVGIFTER',
          sendersReference: 'during-outage',
          title: 'while PostgreSQL is away',
          body: 'not stored',
        },
      },
      { org: ORG.skatteetaten, scope: 'dpv:send' },
    );
    expect(write.errors?.[0]?.extensions?.code).toBe('DATABASE_UNAVAILABLE');
    // Readiness: every subgraph is unready; the gateway stays ready (its subgraphs answer).
    for (const s of graph.subgraphs.values()) expect(await readyOf(s.url), s.name).toBe(503);
    expect(await readyOf(graph.gateway.url)).toBe(200);
    console.log(
      `while PostgreSQL is away: ${JSON.stringify(during.errors!.map((e) => [e.extensions?.serviceName, e.message]))}`,
    );
    // A subscription opened now fails at the subgraph (the grant is in the database); the gateway
    // takes DATABASE_UNAVAILABLE as an outage and subscribes again until it is served.
    const firmIds: string[] = [];
    const firmErrors: unknown[] = [];
    firm = createClient({
      url: toWs(graph.gateway.url),
      webSocketImpl: WebSocket,
      connectionParams: {
        authorization: `Bearer ${await graph.issuer.token({ ...reader(ORG.regnskap), expiresIn: 600 })}`,
      },
    });
    firm.subscribe(
      {
        query: `subscription ($recipient: String!) { messagePublished(recipient: $recipient) { cursor message { id } } }`,
        variables: { recipient: ORG.bakeri },
      },
      {
        next: (r) => {
          if (r.errors) firmErrors.push(r.errors);
          const id = (r.data as { messagePublished?: { message: { id: string } } })
            ?.messagePublished?.message.id;
          if (id) firmIds.push(id);
        },
        error: (err) => void firmErrors.push(err),
        complete: () => undefined,
      },
    );
    await sleep(2_000);

    server = await start(path.join(dir, 'pg'));
    const back = performance.now();
    // Queries are served again.
    await until(async () => {
      const r = await post(graph.gateway.url, INBOX, { org: ORG.bakeri }, headers);
      return r.errors === undefined && typeof r.data?.enhet?.navn === 'string';
    }, 30_000);
    const servedAfter = performance.now() - back;
    for (const s of graph.subgraphs.values()) expect(await readyOf(s.url), s.name).toBe(200);
    // New messages reach the feed, which delivered what was sent just before the stop as well.
    const after = await sendTo(fixture, { recipient: ORG.bakeri, title: 'after the restart' });
    await until(() => ids.includes(after.id), 30_000).catch((err: unknown) => {
      console.log(
        `not delivered: ids ${JSON.stringify(ids)}, sent ${JSON.stringify([before.id, last.id, after.id])}, ` +
          `errors ${JSON.stringify(feedErrors)}, closes ${closes.join(',')}`,
      );
      throw err;
    });
    const deliveredAfter = performance.now() - back;
    await sleep(1_000);
    expect(ids).toEqual([before.id, last.id, after.id]);
    expect(feedErrors).toEqual([]);
    // The subscription opened during the outage had no cursor yet: meldingsboks announced its
    // in-memory head even though the access check could not reach the database, so the gateway
    // resumed it from there, and the first message after the restart reaches it too.
    await until(() => firmIds.includes(after.id), 30_000).catch((err: unknown) => {
      console.log(`firm: ids ${JSON.stringify(firmIds)}, errors ${JSON.stringify(firmErrors)}`);
      throw err;
    });
    expect(firmErrors).toEqual([]);
    // Every outbox row positioned, and the varsling engine caught up with them.
    await until(async () => {
      const [row] = await sql<{ unpositioned: string; behind: string | null }>(
        `select (select count(*) from meldingsboks.outbox where position is null) as unpositioned,
                (select max(position) from meldingsboks.outbox)
                  - (select position from varsling.consumer_position where consumer = 'varsling.engine')
                  as behind`,
      );
      return Number(row!.unpositioned) === 0 && Number(row!.behind) === 0;
    }, 30_000);
    console.log(
      `PostgreSQL away ${((back - stoppedAt) / 1000).toFixed(1)} s; queries served ` +
        `${servedAfter.toFixed(0)} ms after it was back, a new event delivered after ` +
        `${deliveredAfter.toFixed(0)} ms; client socket closes: ${closes.join(',') || 'none'}`,
    );
  }, 120_000);
});
