import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, print, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, type TestGraph } from '../harness/graph.js';
import { LogCapture } from '../harness/logCapture.js';
import { ORG, reader } from '../subgraphs/meldingsboks/helpers.js';
import {
  BAKERY_FEED,
  bakerySender,
  connected,
  disposeAll,
  errorCodes,
  LIVE_MS,
  openSocket,
  sleep,
  until,
  type TestSocket,
} from './subscriptionHelpers.js';

/**
 * The supergraph reloaded under a running gateway: its file replaced as a deployment replaces it
 * (a temporary file renamed over it), the gateway watching the directory. What clients see over
 * HTTP and over open sockets, and what the metrics say.
 */

let db: TestDatabase;
let graph: TestGraph;
let dir: string;
let file: string;
const logs = new LogCapture('debug');
const send = bakerySender(() => graph, 'reload');

/** The committed supergraph, with `type.field` taken out (a field a newer subgraph dropped). */
const without = (sdl: string, type: string, field: string) =>
  print(
    visit(parse(sdl), {
      ObjectTypeDefinition: (node) =>
        node.name.value === type
          ? { ...node, fields: node.fields?.filter((f) => f.name.value !== field) }
          : undefined,
    }),
  );

let FULL: string;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Replaces the file at once, as a deployment does: a temporary file renamed over it. */
async function replace(content: string): Promise<void> {
  const tmp = path.join(dir, `.supergraph.${Date.now()}.tmp`);
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/** The value of one sample of the gateway's /metrics, 0 when absent. */
async function metric(name: string, labels = ''): Promise<number> {
  const text = await (await fetch(new URL('/metrics', graph.gateway.url))).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}
const reloads = (outcome: string) =>
  metric('dpv_gateway_supergraph_reloads_total', `{outcome="${outcome}"}`);

const FOUNDED = `{ enhet(organisasjonsnummer: "${ORG.bakeri}") { navn stiftelsesdato } }`;
const WITH_SUMMARY = `subscription ($recipient: String!) {
  messagePublished(recipient: $recipient) { cursor message { id title summary } } }`;

async function readerSocket(): Promise<TestSocket> {
  const token = await graph.issuer.token(reader(ORG.bakeri));
  const socket = openSocket(graph.gateway.url, { authorization: `Bearer ${token}` });
  await connected(socket);
  return socket;
}

beforeAll(async () => {
  FULL = await readFile('schema/supergraph.graphql', 'utf8');
  dir = await mkdtemp(path.join(tmpdir(), 'dpv-supergraph-'));
  file = path.join(dir, 'supergraph.graphql');
  // The gateway starts on a supergraph from before `Enhet.stiftelsesdato`.
  await writeFile(file, without(FULL, 'Enhet', 'stiftelsesdato'));
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    supergraphPath: file,
    watchSupergraph: { debounceMs: 50 },
    log: logs.log,
  });
});
afterAll(async () => {
  await disposeAll();
  await graph?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('supergraph reload', () => {
  let socket: TestSocket;

  it('serves a field a valid new supergraph adds, without a restart; open sockets stay', async () => {
    socket = await readerSocket();
    const feed = socket.subscribe<{ message: { title: string } }>(BAKERY_FEED, {
      recipient: ORG.bakeri,
    });
    await sleep(LIVE_MS);
    const before = await post(graph.gateway.url, FOUNDED);
    expect(codes(before)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await metric('dpv_gateway_supergraph_generation')).toBe(1);

    await replace(FULL);
    await until(async () => (await post(graph.gateway.url, FOUNDED)).data?.enhet != null);
    const after = await post(graph.gateway.url, FOUNDED);
    expect(after.errors).toBeUndefined();
    expect(after.data.enhet).toHaveProperty('stiftelsesdato');
    expect(await reloads('applied')).toBe(1);
    expect(await reloads('failed')).toBe(0);
    expect(await metric('dpv_gateway_supergraph_generation')).toBe(2);
    expect(await metric('dpv_gateway_supergraph_info', `{hash="${sha256(FULL)}"}`)).toBe(1);
    expect(logs.find({ msg: 'supergraph reloaded', generation: 2 })).toHaveLength(1);

    // The subscription opened on generation 1 goes on, on the same socket.
    const { title } = await send('after the reload');
    await until(() => feed.events.some((e) => e.message.title === title));
    expect(feed.done).toBe(false);
    expect(socket.closes).toEqual([]);
  });

  it('does nothing for the same content, written again or on SIGHUP', async () => {
    await replace(FULL);
    await until(async () => (await reloads('unchanged')) >= 1);
    expect(await graph.gateway.reload('SIGHUP')).toBe('unchanged');
    expect(await reloads('applied')).toBe(1);
    expect(await metric('dpv_gateway_supergraph_generation')).toBe(2);
  });

  it.each([
    ['cut short (not GraphQL)', () => FULL.slice(0, FULL.length / 2)],
    ['GraphQL but not a supergraph', () => 'type Query { hello: String }\n'],
    ['empty', () => ''],
  ])(
    'keeps serving the old supergraph when the new one is %s; the metric says failed',
    async (_, bad) => {
      const failed = await reloads('failed');
      await replace(bad());
      await until(async () => (await reloads('failed')) === failed + 1);
      const still = await post(graph.gateway.url, FOUNDED);
      expect(still.errors).toBeUndefined();
      expect(still.data.enhet).toHaveProperty('stiftelsesdato');
      expect(await metric('dpv_gateway_supergraph_generation')).toBe(2);
      expect(await metric('dpv_gateway_supergraph_info', `{hash="${sha256(FULL)}"}`)).toBe(1);
      const logged = logs.find({ msg: 'supergraph reload failed: still serving the previous one' });
      expect(logged).toHaveLength(failed + 1);
      expect(logged.at(-1)).toMatchObject({ level: 50, generation: 2, hash: sha256(FULL) });
      expect(socket.closes).toEqual([]);
    },
  );

  it('keeps a subscription still valid and ends one whose field is gone, with a clear error', async () => {
    // The last test left a bad file: the gateway still serves FULL.
    const other = await readerSocket();
    const kept = other.subscribe<{ message: { title: string } }>(BAKERY_FEED, {
      recipient: ORG.bakeri,
    });
    const gone = other.subscribe<{ message: { title: string; summary: string | null } }>(
      WITH_SUMMARY,
      { recipient: ORG.bakeri },
    );
    await sleep(LIVE_MS);
    const first = await send('before the field goes');
    await until(() => gone.events.some((e) => e.message.title === first.title));
    await until(() => kept.events.some((e) => e.message.title === first.title));

    await replace(without(FULL, 'Message', 'summary'));
    await until(() => gone.done);
    expect(errorCodes(gone)).toEqual(['SUBSCRIPTION_INVALIDATED']);
    expect(gone.errors[0]!.message).toMatch(/no longer valid: Cannot query field "summary"/);
    expect(gone.errors[0]!.extensions).toMatchObject({
      reasons: [expect.stringContaining('summary')],
      supergraph: sha256(without(FULL, 'Message', 'summary')),
    });
    expect(await metric('dpv_gateway_supergraph_generation')).toBe(3);
    expect(await metric('dpv_gateway_subscriptions_invalidated_total')).toBe(1);
    // Both feeds still valid (this one and the first test's) run by the new plan from their next
    // event, on the subscription they have at the subgraph: the same upstream operation.
    const moved = logs.find({ msg: 'subscription moved to the new supergraph', generation: 3 });
    expect(moved.map((l) => [l.subgraph, l.resubscribed])).toEqual([
      ['meldingsboks', false],
      ['meldingsboks', false],
    ]);

    // The other subscription on that socket, and the one of the first test, go on.
    const second = await send('after the field is gone');
    await until(() => kept.events.some((e) => e.message.title === second.title));
    expect(kept.done).toBe(false);
    expect(kept.errors).toEqual([]);
    expect(other.closes).toEqual([]);
    expect(socket.closes).toEqual([]);

    // New operations meet the new schema, over the socket as over HTTP.
    const refused = other.subscribe(WITH_SUMMARY, { recipient: ORG.bakeri });
    await until(() => refused.done);
    expect(errorCodes(refused)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const query = await post(
      graph.gateway.url,
      `query ($org: String!) { enhet(organisasjonsnummer: $org) { inbox(first: 1) { nodes { summary } } } }`,
      { org: ORG.bakeri },
      { authorization: `Bearer ${await graph.issuer.token(reader(ORG.bakeri))}` },
    );
    expect(codes(query)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('subscribes afresh at the subgraph when the new plan asks it for something else', async () => {
    // Without `after` on the field, the gateway no longer resumes it: the operation it sends the
    // subgraph changes (no cursor), so the subscription is taken again with the new one.
    const plain = `subscription ($recipient: String!) {
      messagePublished(recipient: $recipient) { message { id title } } }`;
    const other = await readerSocket();
    const feed = other.subscribe<{ message: { title: string } }>(plain, { recipient: ORG.bakeri });
    await sleep(LIVE_MS);
    const first = await send('before after goes');
    await until(() => feed.events.some((e) => e.message.title === first.title));

    const noAfter = print(
      visit(parse(without(FULL, 'Message', 'summary')), {
        FieldDefinition: (node) =>
          node.name.value === 'messagePublished'
            ? { ...node, arguments: node.arguments?.filter((a) => a.name.value !== 'after') }
            : undefined,
      }),
    );
    await replace(noAfter);
    await until(async () => (await metric('dpv_gateway_supergraph_generation')) === 4);
    const moved = logs.find({ msg: 'subscription moved to the new supergraph', generation: 4 });
    expect(moved.map((l) => l.resubscribed)).toEqual([true]);
    await sleep(LIVE_MS);
    const second = await send('after after went');
    await until(() => feed.events.some((e) => e.message.title === second.title));
    expect(feed.events.map((e) => e.message.title)).toEqual([first.title, second.title]);
    expect(feed.done).toBe(false);
    expect(other.closes).toEqual([]);
  });
});
