import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import {
  startGatewayProcess,
  startTestGraph,
  type SubgraphFixture,
  type TestGraph,
} from '../harness/graph.js';
import { BalancingProxy } from '../harness/proxy.js';
import { freePort, type Exit, type ServiceProcess } from '../harness/services.js';
import { ORG, reader, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import { sleep, toWs, until } from '../graph/subscriptionHelpers.js';

/**
 * A rolling stop: two gateways behind one address (a balancer that follows their `/ready`), a
 * stock graphql-ws client following a feed and a stream of queries from a stock HTTP client,
 * while one gateway gets SIGTERM. Its drain (readiness off, serve on through the delay, requests
 * in flight finished, sockets closed with 1012) moves everything to the other one: no query
 * fails, no event is lost or repeated.
 */

let db: TestDatabase;
let graph: TestGraph;
let victim: ServiceProcess | undefined;
let victimPort: number;
let proxy: BalancingProxy;
let client: Client | undefined;

const DRAIN_DELAY_MS = 1_000;
const CHECK_EVERY_MS = 100;
const EVERY_MS = 100;
const QUERY_WORKERS = 3;

beforeAll(async () => {
  db = await createTestDatabase();
  // The survivor is the graph's own gateway (in process), budgets and positions in `db`.
  graph = await startTestGraph(db.url);
  victimPort = await freePort();
  victim = startGatewayProcess(graph, victimPort, {
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    GATEWAY_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    GATEWAY_DRAIN_GRACE_MS: '10000',
  });
  await victim.healthy(30_000);
  // The victim first in turn: the feed's socket, the first connection, goes to it.
  proxy = await BalancingProxy.start([victimPort, graph.gateway.port], CHECK_EVERY_MS);
}, 60_000);
afterAll(async () => {
  await client?.dispose();
  await victim?.kill();
  await proxy?.close();
  await graph?.close();
  await db?.drop();
});

/** Connection refused or reset before the answer began: what a load balancer retries. */
function retriable(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code ?? '');
}

const QUERY = `query ($org: String!) {
  enhet(organisasjonsnummer: $org) {
    navn
    organisasjonsform { kode }
    inbox(first: 3) { totalCount nodes { title sender { navn } } }
  }
}`;

describe('one of two gateways stopped with SIGTERM under load', () => {
  it('fails no query, and the feed moves over losing and repeating nothing', async () => {
    const closes: number[] = [];
    const ids: string[] = [];
    const feedErrors: unknown[] = [];
    client = createClient({
      url: toWs(proxy.url()),
      webSocketImpl: WebSocket,
      connectionParams: async () => ({
        // The accounting firm: its own inbox, and the bakery's, which the bakery granted it.
        authorization: `Bearer ${await graph.issuer.token({ ...reader(ORG.regnskap), expiresIn: 600 })}`,
      }),
      on: { closed: (event) => void closes.push((event as { code: number }).code) },
    });
    const follow = (recipient: string, into: string[]) =>
      client!.subscribe(
        {
          query: `subscription ($recipient: String!) { messagePublished(recipient: $recipient) { cursor message { id } } }`,
          variables: { recipient },
        },
        {
          next: (r) => {
            if (r.errors) feedErrors.push(r.errors);
            const id = (r.data as { messagePublished?: { message: { id: string } } })
              ?.messagePublished?.message.id;
            if (id) into.push(id);
          },
          error: (err) => void feedErrors.push(err),
          complete: () => undefined,
        },
      );
    // A busy feed, and a quiet one that gets its first event only while the client is away.
    follow(ORG.bakeri, ids);
    const quiet: string[] = [];
    follow(ORG.regnskap, quiet);
    await until(() => proxy.sent[0] !== undefined);
    expect(proxy.sent[0]).toBe(victimPort);
    await sleep(1_000);

    // A steady feed: a message every 100 ms, before, across and after the stop.
    const fixture = { subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
    const sent: string[] = [];
    let running = true;
    const sender = (async () => {
      for (let i = 0; running; i++) {
        sent.push((await sendTo(fixture, { recipient: ORG.bakeri, title: `rolling ${i}` })).id);
        await sleep(EVERY_MS);
      }
    })();

    // Queries without pause from a few workers, with the stock fetch (keep-alive connections).
    const authorization = `Bearer ${await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: 600 })}`;
    const failures: string[] = [];
    let answered = 0;
    let retried = 0;
    const query = async () => {
      for (let attempt = 1; ; attempt++) {
        let res: Response;
        try {
          res = await fetch(proxy.url(), {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization },
            body: JSON.stringify({ query: QUERY, variables: { org: ORG.bakeri } }),
          });
        } catch (err) {
          if (attempt < 3 && retriable(err)) {
            retried++;
            continue;
          }
          failures.push(`no answer: ${String((err as Error).cause ?? err)}`);
          await sleep(100);
          return;
        }
        try {
          const body = (await res.json()) as {
            data?: { enhet?: { navn?: string } };
            errors?: unknown;
          };
          if (res.status !== 200 || body.errors || !body.data?.enhet?.navn) {
            failures.push(`${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
          } else {
            answered++;
          }
        } catch (err) {
          failures.push(`answer cut off: ${String(err)}`);
        }
        return;
      }
    };
    const workers = Array.from({ length: QUERY_WORKERS }, async () => {
      while (running) await query();
    });
    const quietSent: string[] = [];
    let beforeStop = 0;
    let connectionsBeforeStop = 0;
    let unreadyAfter: number | undefined;
    let exit: Exit | undefined;
    let exitedAfter = 0;
    let answeredAtExit = 0;
    try {
      await sleep(2_500);
      beforeStop = answered;
      connectionsBeforeStop = proxy.sent.length;
      const stoppedAt = performance.now();
      victim!.child.kill('SIGTERM');
      // Readiness turns off at once, while the gateway still listens (the delay).
      await until(async () => {
        const r = await fetch(`http://127.0.0.1:${victimPort}/ready`).catch(() => undefined);
        if (r?.status !== 503) return false;
        unreadyAfter = performance.now() - stoppedAt;
        return true;
      }, 5_000);
      // Sent while the client is between the closed socket and its reconnect (1 s at least).
      await until(() => closes.length > 0, 15_000);
      const toQuiet = await sendTo(fixture, { recipient: ORG.regnskap, title: 'while away' });
      quietSent.push(toQuiet.id);
      exit = await victim!.exited;
      exitedAfter = performance.now() - stoppedAt;
      answeredAtExit = answered;
      await sleep(3_000);
    } finally {
      running = false;
      await Promise.all([sender, ...workers]);
    }

    await until(() => sent.every((id) => ids.includes(id)), 30_000).catch((err: unknown) => {
      const missing = sent.filter((id) => !ids.includes(id)).map((id) => sent.indexOf(id));
      console.log(
        `missing ${missing.length} of ${sent.length} (indexes ${missing.join(',')}); ` +
          `closes ${closes.join(',')}; errors ${JSON.stringify(feedErrors)}; failures ${failures.length}`,
      );
      throw err;
    });
    await sleep(1_000);
    const repeated = ids.length - new Set(ids).size;
    const toVictim = proxy.sent.filter((p) => p === victimPort).length;
    console.log(
      `rolling stop: ${answered} queries answered (${beforeStop} before SIGTERM), ` +
        `${failures.length} failed, ${retried} retried; ${toVictim} of ${proxy.sent.length} ` +
        `connections to the stopped gateway; /ready 503 after ${unreadyAfter?.toFixed(0)} ms, ` +
        `exit after ${exitedAfter.toFixed(0)} ms; ${sent.length} events sent, ` +
        `${new Set(ids).size} delivered, ${repeated} repeated; closes ${closes.join(',')}`,
    );

    // No query failed, and queries went on being answered across the stop.
    expect(failures).toEqual([]);
    expect(beforeStop).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(answeredAtExit);
    // Both gateways served before the stop; afterwards only the survivor got connections.
    expect(proxy.sent.slice(0, connectionsBeforeStop)).toContain(graph.gateway.port);
    expect(toVictim).toBeGreaterThan(1);
    // The stop drained: unready long before it stopped listening, and exited cleanly.
    expect(unreadyAfter).toBeLessThan(DRAIN_DELAY_MS);
    expect(exitedAfter).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(exit).toEqual({ code: 0, signal: null });
    const from = victim!.lines.findLastIndex((l) => l.msg === 'shutting down');
    const down = victim!.lines.slice(from).map((l) => l.msg);
    expect(from, victim!.tail()).toBeGreaterThan(-1);
    expect(down[1], victim!.tail()).toBe('draining');
    expect(down.at(-1), victim!.tail()).toBe('stopped');
    expect(victim!.lines.slice(from).filter((l) => l.level >= 40)).toEqual([]);
    // The feed's socket closed with 1012 and came back to the survivor.
    expect(closes[0]).toBe(1012);
    expect(feedErrors).toEqual([]);
    // Every event once, in the order sent; the quiet feed's only one too, though it had had
    // nothing to confirm when its socket closed.
    expect(ids).toEqual(sent);
    await until(() => quiet.length > 0, 10_000);
    expect(quiet).toEqual(quietSent);
  }, 90_000);
});
