import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TestIssuer } from '../harness/auth.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { bearer, codes, post } from '../harness/graphql.js';
import {
  imageEnv,
  parseCompose,
  parseDockerfile,
  planDeployment,
  ServiceProcess,
  type ComposeService,
  type ServicePlan,
} from '../harness/services.js';
import { connected, disposeAll, openSocket, sleep, until } from '../graph/subscriptionHelpers.js';

/**
 * The deployment path, run for real: every service of docker-compose.yml as a process of its
 * own, started the way compose starts its container (the file's command, environment and health
 * check, the image's ENV, in dependency order), with only host names and ports changed for one
 * machine; PostgreSQL is a fresh database on the test run's server. Then a client talks to the
 * gateway only, over HTTP and graphql-ws.
 */

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const COMPOSE = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const DOCKERFILE = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));

/** How long one service may take to become healthy. */
const HEALTHY_WITHIN_MS = 20_000;
/** `docker compose stop` sends SIGKILL after 10 s (stop_grace_period's default). */
const STOP_GRACE_MS = 10_000;
/** Time for the gateway to subscribe upstream: a feed without `after` starts at the head. */
const LIVE_MS = 1_500;

// The demo data (SEED_DEMO_DATA is 'true' in the file): subgraphs/*/seed.ts.
const BAKERI = '310012343';
const SKATTEETATEN = '974761076';

let issuer: TestIssuer;
let db: TestDatabase;
let services: Record<string, ComposeService>;
let plans: ServicePlan[];
const running: ServiceProcess[] = [];
let gatewayUrl: string;

const as = async (org: string, scope: string) => bearer(await issuer.token({ org, scope }));

describe('docker-compose.yml, each service its own process', () => {
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    db = await createTestDatabase();
    // What the operator gives compose; the variables with a default (${X:-}) are left unset.
    const operator = {
      INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_ISSUER: TestIssuer.ISSUER,
      AUTH_AUDIENCE: TestIssuer.AUDIENCE,
    };
    services = parseCompose(COMPOSE, operator);
    plans = await planDeployment(services, {
      externals: { postgres: db.url },
      imageEnv: imageEnv(DOCKERFILE),
      baseEnv: { PATH: process.env.PATH ?? '' },
    });
    // Compose starts a service once those it depends on are healthy.
    for (const plan of plans) {
      const service = ServiceProcess.start(plan, ROOT);
      running.push(service);
      await service.healthy(HEALTHY_WITHIN_MS);
    }
    gatewayUrl = `http://127.0.0.1:${plans.find((p) => p.name === 'gateway')!.ports.PORT}/graphql`;
  }, 90_000);

  afterAll(async () => {
    try {
      await disposeAll();
      // `docker compose down`: in reverse dependency order, each SIGTERM then a grace period.
      const stopping = running.toReversed();
      const exits = [];
      for (const service of stopping) exits.push([service.name, await service.stop(STOP_GRACE_MS)]);
      expect(exits).toEqual(stopping.map((s) => [s.name, { code: 0, signal: null }]));
      for (const service of running) {
        const from = service.lines.findLastIndex((l) => l.msg === 'shutting down');
        expect(from, service.tail()).toBeGreaterThan(-1);
        const down = service.lines.slice(from);
        expect(down.at(-1)?.msg, service.tail()).toBe('stopped');
        expect(
          down.filter((l) => l.level >= 40),
          service.name,
        ).toEqual([]);
      }
    } finally {
      for (const service of running) await service.kill();
      await issuer?.close();
      await db?.drop();
    }
  }, 60_000);

  it('starts the services in dependency order, each on its port, wired only to what it waits for', () => {
    expect(plans.map((p) => p.name)).toEqual([
      'enhetsregisteret',
      'meldingsboks',
      'varsling',
      'gateway',
    ]);
    for (const [i, service] of running.entries()) {
      const plan = plans[i]!;
      expect(service.running, service.tail()).toBe(true);
      expect(plan.env.NODE_ENV).toBe('production');
      // Each service names in its environment only services it waits for to be healthy.
      for (const other of plan.refersTo) {
        expect(services[plan.name]!.depends_on?.[other]?.condition, `${plan.name} → ${other}`).toBe(
          'service_healthy',
        );
      }
      const port = plan.ports.PORT ?? plan.ports[`${plan.name.toUpperCase()}_PORT`];
      const listening = service.lines.find((l) => l.msg === 'listening');
      expect(listening?.url, service.tail()).toBe(`http://127.0.0.1:${port}/graphql`);
      // Nothing went wrong on the way up.
      expect(
        service.lines.filter((l) => l.level >= 50),
        service.name,
      ).toEqual([]);
    }
    expect(plans.find((p) => p.name === 'meldingsboks')!.refersTo.toSorted()).toEqual([
      'enhetsregisteret',
      'postgres',
    ]);
    expect(plans.find((p) => p.name === 'gateway')!.refersTo.toSorted()).toEqual([
      'enhetsregisteret',
      'meldingsboks',
      'postgres',
      'varsling',
    ]);
    // One database for all, seeded once per subgraph.
    for (const name of ['enhetsregisteret', 'meldingsboks', 'varsling']) {
      const service = running.find((s) => s.name === name)!;
      expect(service.lines.map((l) => l.msg)).toContain('demo data loaded');
    }
  });

  it('answers a query that crosses all three subgraphs, as the bakery with a token of the JWKS', async () => {
    const r = await post(
      gatewayUrl,
      `{ enhet(organisasjonsnummer: "${BAKERI}") { navn inbox { nodes {
          title sender { navn } notificationPolicy { name channel } } } } }`,
      {},
      await as(BAKERI, 'dpv:read'),
    );
    expect(r.status).toBe(200);
    expect(r.errors).toBeUndefined();
    expect(r.data.enhet.navn).toBe('FJELLTOPP BAKERI AS');
    // The confidential demo message needs another scope; the other two, each with its policy.
    const nodes = [...r.data.enhet.inbox.nodes].sort((a, b) => a.title.localeCompare(b.title));
    expect(nodes).toEqual([
      {
        title: `FJELLTOPP BAKERI AS (${BAKERI}): melding om næringsutvikling`,
        sender: { navn: 'OSLO KOMMUNE' },
        notificationPolicy: { name: 'Oslo kommune, næringsutvikling: e-post', channel: 'EMAIL' },
      },
      {
        title: `FJELLTOPP BAKERI AS (${BAKERI}): melding om skatter og avgifter`,
        sender: { navn: 'SKATTEETATEN' },
        notificationPolicy: { name: 'Skatter og avgifter: SMS', channel: 'SMS_PREFERRED' },
      },
    ]);
    const anonymous = await post(
      gatewayUrl,
      `{ enhet(organisasjonsnummer: "${BAKERI}") { navn } }`,
    );
    expect(anonymous.data?.enhet).toEqual({ navn: 'FJELLTOPP BAKERI AS' });
  });

  it('delivers a message sent through the gateway to a subscription opened before, and plans its notices', async () => {
    const socket = openSocket(gatewayUrl, await as(BAKERI, 'dpv:read'));
    await connected(socket);
    const feed = socket.subscribe<any>(
      `subscription ($recipient: String!) { messagePublished(recipient: $recipient) {
         cursor message { id title sender { navn } recipient { organisasjonsnummer navn } } } }`,
      { recipient: BAKERI },
    );
    await sleep(LIVE_MS);
    expect(feed.errors).toEqual([]);
    expect(feed.failures).toEqual([]);

    const title = `FJELLTOPP BAKERI AS (${BAKERI}): melding om skatter og avgifter`;
    const sent = await post(
      gatewayUrl,
      `mutation ($input: SendMessageInput!) { sendMessage(input: $input) {
         id status serviceCode sender { navn } recipient { navn } } }`,
      {
        input: {
          recipient: BAKERI,
          service: 'SKATTER_AVGIFTER',
          sendersReference: `deployment-${randomUUID()}`,
          title,
          body: 'Se vedtaket i innboksen.',
        },
      },
      await as(SKATTEETATEN, 'dpv:send'),
    );
    expect(sent.errors).toBeUndefined();
    const message = sent.data.sendMessage;
    expect(message).toMatchObject({
      status: 'PUBLISHED',
      sender: { navn: 'SKATTEETATEN' },
      recipient: { navn: 'FJELLTOPP BAKERI AS' },
    });

    await until(() => feed.events.length > 0);
    expect(feed.events).toEqual([
      {
        cursor: expect.any(String),
        message: {
          id: message.id,
          title,
          sender: { navn: 'SKATTEETATEN' },
          recipient: { organisasjonsnummer: BAKERI, navn: 'FJELLTOPP BAKERI AS' },
        },
      },
    ]);
    expect(feed.errors).toEqual([]);
    await disposeAll();

    // Varsling followed meldingsboks' outbox and asked Enhetsregisteret for the bakery's mobile.
    const notices = async () => {
      const r = await post(
        gatewayUrl,
        `query ($id: ID!) { message(id: $id) { notifications { kind channel address } } }`,
        { id: message.id },
        await as(BAKERI, 'dpv:read'),
      );
      expect(r.errors).toBeUndefined();
      return r.data.message.notifications as unknown[];
    };
    await until(async () => (await notices()).length === 2);
    expect(await notices()).toEqual([
      { kind: 'NOTICE', channel: 'SMS', address: '+4791234567' },
      { kind: 'REMINDER', channel: 'SMS', address: '+4791234567' },
    ]);
  });

  it('behaves as production: no introspection, /metrics on METRICS_PORT only', async () => {
    const introspection = await post(gatewayUrl, '{ __schema { types { name } } }');
    expect(codes(introspection)).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    const onPublic = await fetch(new URL('/metrics', gatewayUrl));
    expect(onPublic.status).toBe(404);
    await onPublic.arrayBuffer();
    const metricsPort = plans.find((p) => p.name === 'gateway')!.ports.METRICS_PORT;
    const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(own.status).toBe(200);
    expect(await own.text()).toMatch(/^dpv_gateway_requests_total\{.*\} [1-9]/m);
  });
});

describe('Dockerfile', () => {
  it('builds, from what its build stage copies, every command docker-compose.yml runs', async () => {
    const [build, runtime] = DOCKERFILE;
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const dir = await mkdtemp(path.join(tmpdir(), 'dpv-graph-image-'));
    try {
      for (const { op, args } of build!.instructions) {
        if (op !== 'COPY') continue;
        const parts = args.split(/\s+/);
        expect(parts[0], 'a COPY --from in the build stage').not.toMatch(/^--/);
        const dest = parts.at(-1)!;
        for (const src of parts.slice(0, -1)) {
          const to = dest.endsWith('/')
            ? path.join(dir, dest, path.basename(src))
            : path.join(dir, dest);
          await cp(path.join(ROOT, src), to, {
            recursive: true,
            filter: (from) =>
              !path
                .relative(ROOT, from)
                .split(path.sep)
                .some((part) => ignored.includes(part)),
          });
        }
      }
      // `npm ci`, without downloading: the repository's node_modules.
      await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      const run = build!.instructions.find(
        (i) => i.op === 'RUN' && i.args.includes('npm run build'),
      );
      expect(run).toBeDefined();
      const script = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts
        .build as string;
      const [node, ...args] = script.split(/\s+/);
      expect(node).toBe('node');
      await execFileAsync(process.execPath, args, { cwd: dir });

      const copiedToImage = runtime!.instructions
        .filter((i) => i.op === 'COPY')
        .map((i) => i.args.split(/\s+/).at(-1)!);
      expect(copiedToImage).toEqual(expect.arrayContaining(['dist', 'schema']));
      const composed = parse(COMPOSE, { merge: true }) as {
        services: Record<string, ComposeService>;
      };
      for (const [name, service] of Object.entries(composed.services)) {
        if (service.build === undefined) continue;
        expect(existsSync(path.join(dir, service.command![1]!)), name).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
