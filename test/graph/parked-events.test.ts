import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { startTestGraph, type SubgraphFixture, type TestGraph } from '../harness/graph.js';
import { bearer, codes, post } from '../harness/graphql.js';
import { testIdentity } from '../harness/auth.js';
import { ORG, send as sendTo } from '../subgraphs/meldingsboks/helpers.js';
// After the harness, which loads the subgraphs (and reflect-metadata) first.
import { PeerClient } from '../../platform/http/peer.js';
import { isTransient } from '../../subgraphs/varsling/services/engine.js';

/**
 * A poison event: one the notification engine cannot handle however often it tries (here, an
 * enhet whose register record Enhetsregisteret cannot serve). It is retried with backoff, then
 * parked with its reason while the events after it flow on; an admin sees it in the graph and
 * retries or drops it, audited. A peer or database that is away parks nothing.
 */

const MAX_ATTEMPTS = 3;

let db: TestDatabase;
let graph: TestGraph;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    settings: { varsling: { engineMaxAttempts: MAX_ATTEMPTS, engineRetryMs: 50 } },
  });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const meldingsboks = () => ({ subgraph: graph.subgraphs.get('meldingsboks')! }) as SubgraphFixture;
const send = (recipient: string, title: string) => sendTo(meldingsboks(), { recipient, title });
const orders = async (messageId: string) =>
  (
    await db.query(
      `select count(*)::int as n from varsling.notification_order where message_id = $1`,
      [messageId],
    )
  )[0]!.n as number;
const until = (check: () => Promise<boolean>, timeout = 15_000) =>
  expect.poll(check, { timeout, interval: 100 }).toBe(true);
const asAdmin = async () =>
  bearer(await graph.issuer.token({ sub: 'ops', scope: 'varsling:admin' }));
const gql = async (query: string, variables: Record<string, unknown>, headers = {}) =>
  post(graph.gateway.url, query, variables, headers);

const PARKED = `query { parkedEvents { id position kind messageId recipient reason attempts status
  resolvedBy note } }`;

/** Gives the snekker a varslingsadresse of a kind the schema cannot represent. */
async function poisonSnekker() {
  const checks = await db.query(
    `select conname from pg_constraint
     where conrelid = 'enhetsregisteret.varslingsadresse'::regclass and contype = 'c'`,
  );
  for (const { conname } of checks) {
    await db.query(`alter table enhetsregisteret.varslingsadresse drop constraint ${conname}`);
  }
  await db.query(
    `insert into enhetsregisteret.varslingsadresse (organisasjonsnummer, kanal, adresse)
     values ($1, 'FAX', '+4722000000')`,
    [ORG.snekker],
  );
}
const cure = () => db.query(`delete from enhetsregisteret.varslingsadresse where kanal = 'FAX'`);

describe('a poison event', () => {
  it('is retried, then parked with its reason, while the events after it flow on', async () => {
    await poisonSnekker();
    const before = await send(ORG.bakeri, 'before the poison');
    const poison = await send(ORG.snekker, 'the poison');
    const after = await send(ORG.bakeri, 'after the poison');
    await until(async () => (await orders(after.id)) > 0);
    expect(await orders(before.id)).toBeGreaterThan(0);
    expect(await orders(poison.id)).toBe(0);

    const r = await gql(PARKED, {}, await asAdmin());
    expect(r.errors).toBeUndefined();
    const parked = (r.data as any).parkedEvents as Array<Record<string, unknown>>;
    expect(parked).toEqual([
      expect.objectContaining({
        kind: 'Published',
        messageId: poison.id,
        recipient: ORG.snekker,
        attempts: MAX_ATTEMPTS,
        status: 'PARKED',
        resolvedBy: null,
      }),
    ]);
    expect(parked[0]!.reason).toMatch(/enhetsregisteret could not be asked: .*FAX/);
    // The alert: varsling's metrics count it.
    const metrics = await (
      await fetch(graph.subgraphs.get('varsling')!.url.replace(/graphql$/, 'metrics'))
    ).text();
    expect(metrics).toMatch(/^dpv_varsling_parked_events 1$/m);
  });

  it('is shown and changed by admins only', async () => {
    const reader = bearer(await graph.issuer.token({ org: ORG.bakeri, scope: 'dpv:read' }));
    const seen = await gql(PARKED, {}, reader);
    expect(seen.data).toEqual({ parkedEvents: null });
    expect(codes(seen)).toEqual(['FORBIDDEN']);
    const anonymous = await gql(PARKED, {});
    expect(anonymous.data).toEqual({ parkedEvents: null });
    expect(codes(anonymous)).toEqual(['FORBIDDEN']); // as every scoped field: "needs a token"
    expect(anonymous.errors![0]!.message).toMatch(/needs a token with scope varsling:admin/);
    const [row] = await db.query(`select id from varsling.parked_event`);
    for (const mutation of [
      `mutation ($id: ID!) { retryParkedEvent(id: $id) { id } }`,
      `mutation ($id: ID!) { dropParkedEvent(id: $id, note: "no") { id } }`,
    ]) {
      expect(codes(await gql(mutation, { id: row!.id }, reader))).toEqual(['FORBIDDEN']);
    }
    expect((await db.query(`select status from varsling.parked_event`))[0]!.status).toBe('Parked');
  });

  it('an admin retries it: still parked while the record is bad, handled once it is mended', async () => {
    const admin = await asAdmin();
    const [row] = await db.query(
      `select id, event->>'messageId' as message from varsling.parked_event`,
    );
    const retry = `mutation ($id: ID!) { retryParkedEvent(id: $id) { status attempts reason resolvedBy } }`;
    const failed = await gql(retry, { id: row!.id }, admin);
    expect(failed.errors).toBeUndefined();
    expect((failed.data as any).retryParkedEvent).toMatchObject({
      status: 'PARKED',
      attempts: MAX_ATTEMPTS + 1,
      resolvedBy: null,
    });
    await cure();
    const mended = await gql(retry, { id: row!.id }, admin);
    expect((mended.data as any).retryParkedEvent).toMatchObject({
      status: 'RETRIED',
      resolvedBy: 'ops',
    });
    expect(await orders(row!.message)).toBeGreaterThan(0);
    // Resolved once: a second retry is a conflict, not a second order.
    expect(codes(await gql(retry, { id: row!.id }, admin))).toEqual(['CONFLICT']);
    const r = await gql(PARKED, {}, admin);
    expect((r.data as any).parkedEvents).toEqual([]);
  });

  it('an admin drops one, with the reason, audited', async () => {
    await poisonSnekker();
    const poison = await send(ORG.snekker, 'dropped poison');
    await until(
      async () =>
        (
          await db.query(`select 1 from varsling.parked_event where event->>'messageId' = $1`, [
            poison.id,
          ])
        ).length === 1,
    );
    await cure();
    const [row] = await db.query(`select id from varsling.parked_event where status = 'Parked'`);
    const admin = await asAdmin();
    const drop = `mutation ($id: ID!, $note: String!) { dropParkedEvent(id: $id, note: $note) {
      status resolvedBy note } }`;
    expect(codes(await gql(drop, { id: row!.id, note: ' ' }, admin))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await gql(drop, { id: row!.id, note: 'x'.repeat(1001) }, admin))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const dropped = await gql(drop, { id: row!.id, note: 'bad register record' }, admin);
    expect((dropped.data as any).dropParkedEvent).toEqual({
      status: 'DROPPED',
      resolvedBy: 'ops',
      note: 'bad register record',
    });
    expect(await orders(poison.id)).toBe(0);
    const listed = await gql(`query { parkedEvents(status: DROPPED) { messageId } }`, {}, admin);
    expect((listed.data as any).parkedEvents).toEqual([{ messageId: poison.id }]);
  });
});

describe('what is not poison', () => {
  it('a peer that cannot be reached is transient; one that answers with errors is not', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const away = new PeerClient(
      'enhetsregisteret',
      `http://127.0.0.1:${port}/graphql`,
      testIdentity,
      'varsling',
    );
    const unreachable = await away.request('{ __typename }', {}).catch((e: unknown) => e);
    expect(isTransient(unreachable)).toBe(true);

    const url = graph.subgraphs.get('enhetsregisteret')!.url;
    const peer = new PeerClient('enhetsregisteret', url, testIdentity, 'varsling');
    const answered = await peer.request('{ noSuchField }', {}).catch((e: unknown) => e);
    expect(isTransient(answered)).toBe(false);
    expect(isTransient(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    );
    const dns = Object.assign(new Error('getaddrinfo EAI_AGAIN db'), { code: 'EAI_AGAIN' });
    expect(isTransient(dns)).toBe(true);
    expect(isTransient(Object.assign(new Error('bad value'), { code: '22P02' }))).toBe(false);
  });
});
