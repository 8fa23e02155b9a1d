import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import {
  startTestGraph,
  startTestSubgraph,
  type SubgraphFixture,
  type TestGraph,
} from '../harness/graph.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { codes, post, type GraphQLResponse } from '../harness/graphql.js';
import {
  admin,
  ORG,
  owner,
  reader,
  send as sendTo,
  sender,
  type Claims,
} from '../subgraphs/meldingsboks/helpers.js';
import { sleep, until } from './subscriptionHelpers.js';

/**
 * Webhooks through the gateway with stock HTTP, delivering to a local node:http sink that can
 * fail (500), be slow (longer than the delivery timeout), and come back.
 */

const TIMEOUT_MS = 800;
const WEBHOOK_SETTINGS = {
  webhookPollMs: 100,
  webhookTimeoutMs: TIMEOUT_MS,
  webhookMaxFailures: 4,
  webhookBackoffBaseMs: 100,
  webhookBackoffCapMs: 400,
  webhookSecretGraceMs: 4_000,
  webhookAllowLoopbackHttp: true,
};
const MAX_FAILURES = WEBHOOK_SETTINGS.webhookMaxFailures;
const GRACE_MS = WEBHOOK_SETTINGS.webhookSecretGraceMs;

let db: TestDatabase;
let graph: TestGraph;
let sink: Sink;

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  event: any;
}

class Sink {
  readonly received: Delivery[] = [];
  /** Per path: how it answers. */
  readonly mode = new Map<string, 'ok' | 'fail' | 'slow'>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Sink> {
    let self: Sink | undefined = undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        self!.received.push({ path, headers: req.headers, body, event: JSON.parse(body) });
        const mode = self!.mode.get(path) ?? 'ok';
        if (mode === 'fail') return void res.writeHead(500).end('down');
        if (mode === 'slow') {
          const t = setTimeout(() => res.writeHead(204).end(), TIMEOUT_MS * 3);
          res.on('close', () => clearTimeout(t));
          return;
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    self = new Sink(server);
    return self;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): Delivery[] {
    return this.received.filter((d) => d.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url, {
    settings: { meldingsboks: WEBHOOK_SETTINGS },
  });
  sink = await Sink.start();
}, 60_000);
afterAll(async () => {
  await sink?.close();
  await graph?.close();
  await db?.drop();
});

async function gql(query: string, variables: Record<string, unknown>, claims: Claims) {
  return post(graph.gateway.url, query, variables, await graph.as(claims));
}

const FIELDS = 'id owner url events inbox status pausedReason lastError consecutiveFailures cursor';

async function register(
  claims: Claims,
  path: string,
  events: string[],
  inbox?: string,
): Promise<{ id: string; secret: string; cursor: string }> {
  const r = await gql(
    `mutation ($input: RegisterWebhookInput!) {
       registerWebhook(input: $input) { secret webhook { ${FIELDS} } } }`,
    { input: { url: sink.url(path), events, inbox } },
    claims,
  );
  expect(r.errors).toBeUndefined();
  const { secret, webhook } = r.data.registerWebhook;
  return { id: webhook.id, secret, cursor: webhook.cursor };
}

async function mutate(field: string, args: string, vars: Record<string, unknown>, claims: Claims) {
  return gql(`mutation (${args}) { ${field} }`, vars, claims);
}

const toBakery = (title: string) =>
  sendTo({ subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture, {
    recipient: ORG.bakeri,
    title,
  });
const toCarpenter = (title: string) =>
  sendTo({ subgraph: graph.subgraphs.get('meldingsboks')! } as SubgraphFixture, {
    recipient: ORG.snekker,
    title,
  });

/** The signatures in `webhook-signature` that verify with `secret`. */
function verifies(d: Delivery, secret: string): boolean {
  const ts = String(d.headers['webhook-timestamp']);
  const expected = `v1,${createHmac('sha256', secret).update(`${ts}.${d.body}`).digest('base64')}`;
  return String(d.headers['webhook-signature']).split(' ').includes(expected);
}

/** The message ids delivered to `path`, in arrival order, repeats dropped by event id as a receiver would. */
function deduped(path: string): string[] {
  const seen = new Set<string>();
  const ids: string[] = [];
  for (const d of sink.at(path)) {
    if (seen.has(d.event.id)) continue;
    seen.add(d.event.id);
    ids.push(d.event.subject);
  }
  return ids;
}

describe('deliveries', () => {
  it('arrive in order as signed CloudEvents with the message the identity may read', async () => {
    const hook = await register(reader(ORG.bakeri), '/order', ['INBOX']);
    const sent = [];
    for (let i = 1; i <= 4; i++) sent.push(await toBakery(`order ${i}`));
    await toCarpenter('not for the bakery');
    await until(() => sink.at('/order').length >= 4, 20_000);
    await sleep(500);
    const got = sink.at('/order');
    expect(got.map((d) => d.event.subject)).toEqual(sent.map((m) => m.id));
    const positions = got.map((d) => Number(d.event.id));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const d of got) {
      expect(d.headers['content-type']).toBe('application/cloudevents+json');
      expect(d.headers['webhook-id']).toBe(d.event.id);
      expect(verifies(d, hook.secret)).toBe(true);
      expect(verifies(d, 'whsec_not-the-secret')).toBe(false);
      expect(d.event).toMatchObject({
        specversion: '1.0',
        type: 'no.digdir.dpv.message.published',
        source: 'urn:no:digdir:dpv:meldingsboks',
        data: { recipient: ORG.bakeri, messageId: d.event.subject, status: 'Published' },
      });
    }
    expect(got[0]!.event.data.title).toBe('order 1');
    // A tampered body no longer verifies.
    expect(
      verifies({ ...got[0]!, body: got[0]!.body.replace('order 1', 'order 9') }, hook.secret),
    ).toBe(false);
  }, 40_000);

  it('a failing sink loses nothing: retries carry the same ids, and it catches up in order', async () => {
    sink.mode.set('/flaky', 'fail');
    await register(reader(ORG.bakeri), '/flaky', ['INBOX']);
    const sent = [await toBakery('flaky 1'), await toBakery('flaky 2')];
    await until(() => sink.at('/flaky').length >= 2, 20_000);
    const firstIds = new Set(sink.at('/flaky').map((d) => d.event.id));
    expect(firstIds.size).toBe(1); // the first event is retried; the second waits behind it
    sink.mode.set('/flaky', 'ok');
    await until(() => deduped('/flaky').length >= 2, 20_000);
    await sleep(300);
    expect(deduped('/flaky')).toEqual(sent.map((m) => m.id));
  }, 40_000);

  it('a slow sink is timed out and retried', async () => {
    sink.mode.set('/slow', 'slow');
    await register(reader(ORG.bakeri), '/slow', ['INBOX']);
    const m = await toBakery('slow');
    await until(() => sink.at('/slow').length >= 2, 20_000);
    const r = await gql(`{ webhooks { url lastError } }`, {}, reader(ORG.bakeri));
    const mine = r.data.webhooks.find((w: any) => w.url.endsWith('/slow'));
    expect(mine.lastError).toMatch(/no answer within/);
    sink.mode.set('/slow', 'ok');
    await until(async () => {
      const w = (
        await gql(`{ webhooks { url lastError consecutiveFailures } }`, {}, reader(ORG.bakeri))
      ).data.webhooks.find((x: any) => x.url.endsWith('/slow'));
      return w.consecutiveFailures === 0;
    }, 20_000);
    expect(deduped('/slow')).toEqual([m.id]);
  }, 40_000);

  it(`pauses after ${MAX_FAILURES} failures with the reason, tries no more, and resumes the backlog in order`, async () => {
    sink.mode.set('/pause', 'fail');
    const hook = await register(reader(ORG.bakeri), '/pause', ['INBOX']);
    const first = await toBakery('pause 1');
    const list = async () =>
      (await gql(`{ webhooks { ${FIELDS} } }`, {}, reader(ORG.bakeri))).data.webhooks.find(
        (w: any) => w.id === hook.id,
      );
    await until(async () => (await list()).status === 'PAUSED', 20_000);
    const paused = await list();
    expect(paused.pausedReason).toMatch(
      new RegExp(`^${MAX_FAILURES} consecutive failed deliveries`),
    );
    expect(paused.lastError).toBe('HTTP 500');
    const attempts = sink.at('/pause').length;
    expect(attempts).toBe(MAX_FAILURES);
    const later = [await toBakery('pause 2'), await toBakery('pause 3')];
    await sleep(1_500);
    expect(sink.at('/pause').length).toBe(attempts);
    const [audit] = await db.query(
      `select actor, detail from meldingsboks.webhook_audit where webhook_id = $1 and action = 'PAUSED'`,
      [hook.id],
    );
    expect(audit).toMatchObject({ actor: 'system' });

    sink.mode.set('/pause', 'ok');
    const resumed = await mutate(
      'resumeWebhook(id: $id) { status }',
      '$id: ID!',
      { id: hook.id },
      reader(ORG.bakeri),
    );
    expect(resumed.data?.resumeWebhook.status).toBe('ACTIVE');
    await until(() => deduped('/pause').length >= 3, 20_000);
    expect(deduped('/pause')).toEqual([first, ...later].map((m) => m.id));
    const trail = await db.query(
      `select action, actor from meldingsboks.webhook_audit where webhook_id = $1 order by id`,
      [hook.id],
    );
    expect(trail.map((a) => `${a.action} by ${a.actor}`)).toEqual([
      'REGISTERED by test-user',
      'PAUSED by system',
      'RESUMED by test-user',
    ]);
  }, 40_000);

  it('an owner pauses with a reason and nothing is sent meanwhile', async () => {
    const hook = await register(reader(ORG.bakeri), '/manual', ['INBOX']);
    const r = await mutate(
      'pauseWebhook(id: $id, reason: $reason) { status pausedReason }',
      '$id: ID!, $reason: String!',
      { id: hook.id, reason: 'maintenance of our ledger' },
      reader(ORG.bakeri),
    );
    expect(r.data?.pauseWebhook).toEqual({
      status: 'PAUSED',
      pausedReason: 'maintenance of our ledger',
    });
    const m = await toBakery('while paused');
    await sleep(1_000);
    expect(sink.at('/manual')).toEqual([]);
    await mutate(
      'resumeWebhook(id: $id) { status }',
      '$id: ID!',
      { id: hook.id },
      reader(ORG.bakeri),
    );
    await until(() => sink.at('/manual').length >= 1, 20_000);
    expect(deduped('/manual')).toEqual([m.id]);
  }, 40_000);

  it('replay from a cursor delivers again with the same ids; an expired cursor is CURSOR_EXPIRED', async () => {
    const hook = await register(reader(ORG.bakeri), '/replay', ['INBOX']);
    const sent = [await toBakery('replay 1'), await toBakery('replay 2')];
    await until(() => sink.at('/replay').length >= 2, 20_000);
    const before = sink.at('/replay').map((d) => d.event.id);
    const r = await mutate(
      'replayWebhook(id: $id, after: $after) { cursor }',
      '$id: ID!, $after: String!',
      { id: hook.id, after: hook.cursor },
      reader(ORG.bakeri),
    );
    expect(r.errors).toBeUndefined();
    await until(() => sink.at('/replay').length >= 4, 20_000);
    const all = sink.at('/replay');
    expect(all.map((d) => d.event.id)).toEqual([...before, ...before]);
    expect(all.slice(2).map((d) => d.event.subject)).toEqual(sent.map((m) => m.id));
    // From the first delivery's cursor: only the second again.
    await mutate(
      'replayWebhook(id: $id, after: $after) { cursor }',
      '$id: ID!, $after: String!',
      { id: hook.id, after: all[0]!.event.dpvcursor },
      reader(ORG.bakeri),
    );
    await until(() => sink.at('/replay').length >= 5, 20_000);
    expect(sink.at('/replay')[4]!.event.id).toBe(before[1]);

    await db.query(`update meldingsboks.outbox_retention set pruned_through = $1`, [
      Number(before[0]),
    ]);
    try {
      const expired = await mutate(
        'replayWebhook(id: $id, after: $after) { cursor }',
        '$id: ID!, $after: String!',
        { id: hook.id, after: hook.cursor },
        reader(ORG.bakeri),
      );
      expect(codes(expired)).toEqual(['CURSOR_EXPIRED']);
      expect(expired.errors![0]!.extensions!.oldestCursor).toBe(all[0]!.event.dpvcursor);
    } finally {
      await db.query(`update meldingsboks.outbox_retention set pruned_through = 0`);
    }
  }, 40_000);

  it('two meldingsboks instances deliver each event once, in order (SKIP LOCKED and a lease)', async () => {
    const second = await startTestSubgraph(meldingsboks, db.url, {
      seedWhenEmpty: false,
      peers: { enhetsregisteret: graph.subgraphs.get('enhetsregisteret')!.url },
      settings: WEBHOOK_SETTINGS,
    });
    try {
      const hooks = [];
      for (let i = 0; i < 3; i++)
        hooks.push(await register(reader(ORG.bakeri), `/twice${i}`, ['INBOX']));
      const sent = [];
      for (let i = 1; i <= 6; i++) sent.push(await toBakery(`twice ${i}`));
      for (let i = 0; i < 3; i++) await until(() => sink.at(`/twice${i}`).length >= 6, 20_000);
      await sleep(1_000);
      for (let i = 0; i < 3; i++) {
        expect(sink.at(`/twice${i}`).map((d) => d.event.subject)).toEqual(sent.map((m) => m.id));
      }
      for (const h of hooks)
        await mutate('deleteWebhook(id: $id)', '$id: ID!', { id: h.id }, reader(ORG.bakeri));
    } finally {
      await second.close();
    }
  }, 40_000);

  it('registers as an outbox consumer, and deleting removes it', async () => {
    const hook = await register(reader(ORG.bakeri), '/consumer', ['INBOX']);
    const rows = () =>
      db.query(`select position from meldingsboks.outbox_consumer where name = $1`, [
        `webhook:${hook.id}`,
      ]);
    expect(await rows()).toHaveLength(1);
    const r = await mutate(
      'deleteWebhook(id: $id)',
      '$id: ID!',
      { id: hook.id },
      reader(ORG.bakeri),
    );
    expect(r.data?.deleteWebhook).toBe(hook.id);
    expect(await rows()).toEqual([]);
    const audit = await db.query(
      `select action, actor_org from meldingsboks.webhook_audit where webhook_id = $1 order by id`,
      [hook.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['REGISTERED', 'DELETED']);
    expect(audit[0]!.actor_org).toBe(ORG.bakeri);
  }, 20_000);
});

describe('rotation', () => {
  it('signs with both secrets during the grace, and only the new one after', async () => {
    const hook = await register(reader(ORG.bakeri), '/rotate', ['INBOX']);
    const r = await mutate(
      'rotateWebhookSecret(id: $id) { secret webhook { previousSecretValidUntil } }',
      '$id: ID!',
      { id: hook.id },
      reader(ORG.bakeri),
    );
    const fresh = r.data.rotateWebhookSecret.secret as string;
    expect(fresh).not.toBe(hook.secret);
    expect(r.data.rotateWebhookSecret.webhook.previousSecretValidUntil).not.toBeNull();
    await toBakery('during the grace');
    await until(() => sink.at('/rotate').length >= 1, 20_000);
    const during = sink.at('/rotate')[0]!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifies(during, fresh)).toBe(true);
    expect(verifies(during, hook.secret)).toBe(true);
    await sleep(GRACE_MS + 500);
    await toBakery('after the grace');
    await until(() => sink.at('/rotate').length >= 2, 20_000);
    const after = sink.at('/rotate')[1]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifies(after, fresh)).toBe(true);
    expect(verifies(after, hook.secret)).toBe(false);
  }, 40_000);
});

describe('authorization', () => {
  it("a firm's CLIENTS webhook gets a client's events only while the grant holds", async () => {
    await register(reader(ORG.regnskap), '/clients', ['CLIENTS']);
    const own = await toBakery('for the firm');
    await until(() => sink.at('/clients').length >= 1, 20_000);
    expect(deduped('/clients')).toEqual([own.id]);
    const revoked = await gql(
      `mutation { revokeInboxAccess(owner: "${ORG.bakeri}", grantee: "${ORG.regnskap}") { id } }`,
      {},
      owner(ORG.bakeri),
    );
    expect(revoked.errors).toBeUndefined();
    const after = await toBakery('after the revocation');
    // A later event proves the dispatcher has gone past it.
    const hook2 = await register(reader(ORG.bakeri), '/witness', ['INBOX']);
    const witness = await toBakery('witness');
    await until(() => deduped('/witness').includes(witness.id), 20_000);
    await sleep(1_000);
    expect(deduped('/clients')).toEqual([own.id]);
    expect(deduped('/clients')).not.toContain(after.id);
    await mutate('deleteWebhook(id: $id)', '$id: ID!', { id: hook2.id }, reader(ORG.bakeri));
    const regrant = await gql(
      `mutation { grantInboxAccess(owner: "${ORG.bakeri}", grantee: "${ORG.regnskap}", scope: { kind: ALL_DPV }) { id } }`,
      {},
      owner(ORG.bakeri),
    );
    expect(regrant.errors).toBeUndefined();
  }, 40_000);

  it("SENT delivers the sender's own messages' status, nobody else's", async () => {
    await register(sender(ORG.skatteetaten), '/sent', ['SENT']);
    await register(reader(ORG.snekker), '/carpenter', ['INBOX']);
    const m = await toBakery('sent by skatteetaten');
    await until(() => sink.at('/sent').length >= 1, 20_000);
    expect(sink.at('/sent')[0]!.event).toMatchObject({
      subject: m.id,
      data: { sender: ORG.skatteetaten },
    });
    const c = await toCarpenter('for the carpenter');
    await until(() => deduped('/carpenter').includes(c.id), 20_000);
    expect(deduped('/carpenter')).not.toContain(m.id);
  }, 40_000);

  it('scopes: INBOX/CLIENTS need dpv:read, SENT dpv:send; narrowing to an inbox one cannot see is FORBIDDEN', async () => {
    const input = (events: string[], inbox?: string) => ({
      input: { url: sink.url('/x'), events, inbox },
    });
    const reg = 'registerWebhook(input: $input) { secret }';
    const args = '$input: RegisterWebhookInput!';
    expect(codes(await mutate(reg, args, input(['SENT']), reader(ORG.bakeri)))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codes(await mutate(reg, args, input(['INBOX']), sender()))).toEqual(['FORBIDDEN']);
    expect(codes(await mutate(reg, args, input(['INBOX']), admin))).toEqual(['FORBIDDEN']);
    expect(
      codes(await post(graph.gateway.url, `mutation (${args}) { ${reg} }`, input(['INBOX']))),
    ).toEqual(['FORBIDDEN']);
    expect(
      codes(await mutate(reg, args, input(['CLIENTS'], ORG.snekker), reader(ORG.bakeri))),
    ).toEqual(['FORBIDDEN']);
  }, 20_000);

  it("another organisation's webhook is NOT_FOUND to you; the list shows your own; admin sees all", async () => {
    const hook = await register(reader(ORG.snekker), '/private', ['INBOX']);
    const other = reader(ORG.bakeri);
    for (const [field, args, vars] of [
      ['pauseWebhook(id: $id, reason: "x") { id }', '$id: ID!', { id: hook.id }],
      ['resumeWebhook(id: $id) { id }', '$id: ID!', { id: hook.id }],
      [
        'replayWebhook(id: $id, after: $a) { id }',
        '$id: ID!, $a: String!',
        { id: hook.id, a: hook.cursor },
      ],
      ['rotateWebhookSecret(id: $id) { secret }', '$id: ID!', { id: hook.id }],
      ['deleteWebhook(id: $id)', '$id: ID!', { id: hook.id }],
    ] as const) {
      const r = await mutate(field, args, vars, other);
      expect(codes(r), field).toEqual(['NOT_FOUND']);
    }
    const ownList = (await gql(`{ webhooks { id owner createdAt } }`, {}, other)).data.webhooks;
    expect(ownList.every((w: any) => w.owner === ORG.bakeri)).toBe(true);
    expect(ownList.map((w: any) => w.id)).not.toContain(hook.id);
    const all = (await gql(`{ webhooks { id } }`, {}, admin)).data.webhooks;
    expect(all.map((w: any) => w.id)).toContain(hook.id);
    const byAdmin = await mutate(
      'pauseWebhook(id: $id, reason: $r) { status }',
      '$id: ID!, $r: String!',
      { id: hook.id, r: 'abuse report' },
      admin,
    );
    expect(byAdmin.data?.pauseWebhook.status).toBe('PAUSED');
    const anonymous = await post(graph.gateway.url, `{ webhooks { id } }`);
    expect(codes(anonymous)).toEqual(['FORBIDDEN']);
  }, 20_000);
});

describe('bad input', () => {
  const reg = 'registerWebhook(input: $input) { secret }';
  const args = '$input: RegisterWebhookInput!';
  const field = (r: GraphQLResponse) => r.errors?.[0]?.extensions?.field;

  it('refuses non-https, credentials, long URLs, no events, and a narrowing without its kind', async () => {
    const as = reader(ORG.seilforening);
    for (const url of [
      'http://example.org/hook',
      'ftp://127.0.0.1/x',
      'not a url',
      'https://u:p@example.org/',
    ]) {
      const r = await mutate(reg, args, { input: { url, events: ['INBOX'] } }, as);
      expect(codes(r), url).toEqual(['BAD_USER_INPUT']);
      expect(field(r)).toBe('input.url');
    }
    const long = await mutate(
      reg,
      args,
      { input: { url: `https://example.org/${'a'.repeat(2100)}`, events: ['INBOX'] } },
      as,
    );
    expect(codes(long)).toEqual(['BAD_USER_INPUT']);
    expect(long.errors![0]!.extensions).toMatchObject({ field: 'input.url', max: 2048 });
    const none = await mutate(reg, args, { input: { url: sink.url('/n'), events: [] } }, as);
    expect(field(none)).toBe('input.events');
    const narrow = await mutate(
      reg,
      args,
      { input: { url: sink.url('/n'), events: ['CLIENTS'], inbox: ORG.seilforening } },
      as,
    );
    expect(field(narrow)).toBe('input.inbox');
    const bad = await mutate(
      'pauseWebhook(id: $id, reason: "x") { id }',
      '$id: ID!',
      { id: 'nope' },
      as,
    );
    expect(codes(bad)).toEqual(['NOT_FOUND']);
  }, 20_000);

  it('caps the webhooks of one organisation', async () => {
    const as = reader(ORG.seilforening);
    for (let i = 0; i < 10; i++) {
      const r = await mutate(
        reg,
        args,
        { input: { url: sink.url(`/cap${i}`), events: ['INBOX'] } },
        as,
      );
      expect(r.errors).toBeUndefined();
    }
    const over = await mutate(
      reg,
      args,
      { input: { url: sink.url('/cap10'), events: ['INBOX'] } },
      as,
    );
    expect(codes(over)).toEqual(['BAD_USER_INPUT']);
    expect(over.errors![0]!.extensions).toMatchObject({ max: 10 });
  }, 20_000);
});
