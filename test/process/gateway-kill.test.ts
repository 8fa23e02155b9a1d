import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { RunningGateway } from '../../gateway/server.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import {
  startAnotherGateway,
  startGatewayProcess,
  startTestGraph,
  type SubgraphFixture,
  type TestGraph,
} from '../harness/graph.js';
import { CuttableProxy } from '../harness/proxy.js';
import { freePort, type ServiceProcess } from '../harness/services.js';
import { ORG, reader, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
import { sleep, toWs, until } from '../graph/subscriptionHelpers.js';

/**
 * A gateway killed outright (SIGKILL: no flush, no close frame) while a feed is busy: the stock
 * client reconnects to another instance and resumes from the last position the killed one wrote.
 * Nothing is lost; what repeats is bounded by the positions' write interval (1 s).
 */

let db: TestDatabase;
let graph: TestGraph;
let survivor: RunningGateway;
let victim: ServiceProcess | undefined;
let proxy: CuttableProxy;
let client: Client | undefined;

const BATCH_MS = 1_000;
const EVERY_MS = 100;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  survivor = await startAnotherGateway(graph, { databaseUrl: db.url });
  const port = await freePort();
  victim = startGatewayProcess(graph, port, { DATABASE_URL: db.url });
  await victim.healthy(30_000);
  proxy = await CuttableProxy.start(port);
}, 60_000);
afterAll(async () => {
  await client?.dispose();
  if (victim?.running) victim.child.kill('SIGKILL');
  await proxy?.close();
  await survivor?.close();
  await graph?.close();
  await db?.drop();
});

describe('a gateway killed with SIGKILL mid-stream', () => {
  it('loses nothing; what repeats is at most the last write interval of events', async () => {
    const ids: string[] = [];
    client = createClient({
      url: toWs(proxy.url()),
      webSocketImpl: WebSocket,
      connectionParams: async () => ({
        authorization: `Bearer ${await graph.issuer.token({ ...reader(ORG.bakeri), expiresIn: 600 })}`,
      }),
    });
    client.subscribe(
      {
        query: `subscription ($recipient: String!) { messagePublished(recipient: $recipient) { cursor message { id } } }`,
        variables: { recipient: ORG.bakeri },
      },
      {
        next: (r) => {
          const id = (r.data as { messagePublished?: { message: { id: string } } })
            ?.messagePublished?.message.id;
          if (id) ids.push(id);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await sleep(1_000);

    // A steady feed: a message every 100 ms, before, across and after the kill.
    const fixture = { subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture;
    const sent: string[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        sent.push((await sendTo(fixture, { recipient: ORG.bakeri, title: `kill ${i}` })).id);
        await sleep(EVERY_MS);
      }
    })();
    await sleep(2_500);
    proxy.retarget(survivor.port);
    const killedAt = sent.length;
    victim!.child.kill('SIGKILL');
    await victim!.exited;
    await sleep(3_000);
    sending = false;
    await sender;

    await until(() => sent.every((id) => ids.includes(id)), 30_000);
    await sleep(500);
    const repeated = ids.length - new Set(ids).size;
    console.log(
      `gateway SIGKILL: ${sent.length} sent (${killedAt} before the kill), ` +
        `${new Set(ids).size} delivered, ${repeated} repeated`,
    );
    // Every event, in the order sent, each at least once.
    expect([...new Set(ids)]).toEqual(sent);
    // Repeats: only events after the last written position, at most a write interval's worth
    // (plus the one the confirmation was waiting for).
    expect(repeated).toBeLessThanOrEqual(Math.ceil(BATCH_MS / EVERY_MS) + 2);
  }, 60_000);
});
