/**
 * `npm run bench:subscriptions [-- --quick] [--subscribers 20000] [--rates 100,1000]
 * [--seconds 10] [--burst 20000] [--per-recipient 1] [--firms 10 --per-firm 1 --clients-per-firm 200]
 * [--selection navn|plain] [--ramp-batch 500] [--warmup-window 200] [--client-processes 2]
 * [--sources 1] [--cpus 0,1|none] [--fd-reserve 200] [--no-cap] [--varsling-engine off|on]
 * [--count-queries] [--subgraph-flags "--cpu-prof"]`
 *
 * Federated subscriptions through our gateway at scale. PostgreSQL (its own port and data
 * directory), the three real subgraphs (one child process) and our gateway (a process of its
 * own, alone on the first CPU of --cpus) run on this machine; N subscribers (graphql-ws, one
 * connection and one subscription each, in --client-processes child processes) subscribe
 * through the gateway: most to messagePublished of one of R real enheter (N/R each; the seeded
 * Enhetsregisteret is grown with generated enheter when it has too few), a few accounting firms to
 * clientMessagePublished (their clients' inboxes, by grants). The ramp opens them in batches,
 * each batch live (its first event received) before the next. Then messages are published
 * straight into meldingsboks' tables (as bench/meldingsboks/latency.ts does) at each rate for
 * --seconds, to the recipients round-robin, and every event is timed from its commit to its
 * arrival at each subscriber, and counted: expected, delivered, lost, duplicated. Prints figures
 * only; asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { signDevToken } from '../platform/auth/devKeys.js';
import { postmasterPid } from '../platform/db/database.js';
import { createLogger } from '../platform/runtime/logger.js';
import { onShutdown } from '../platform/runtime/shutdown.js';
import { startGateway, type RunningGateway } from './gateway/gateways.js';
import { cpuTimes, freePort, pinFromFlag, processCpuSeconds } from './gateway/processes.js';
import { benchDatabase, startBenchServer, type BenchServer } from './meldingsboks/postgres.js';
import { ClientProcess, readiness, statuses } from './subscriptions/clientProcess.js';
import { descriptors, rssMb, sampleGateway, treeUsage } from './subscriptions/metrics.js';
import {
  firmOf,
  type ClientReply,
  type FirmShape,
  type Published,
  type SubscriberSpec,
} from './subscriptions/protocol.js';
import { MessagePublisher, titleOf } from './subscriptions/publish.js';
import { growRegister } from './subscriptions/register.js';
import {
  fmt,
  printReport,
  seconds1,
  summarize,
  type Row,
  type Snapshot,
} from './subscriptions/report.js';
import { SubgraphsProcess } from './subscriptions/subgraphsProcess.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Subscribers in all (connections), firm subscribers included. */
    subscribers: { type: 'string' },
    rates: { type: 'string', default: '100,1000' },
    /** Then this many messages at once (0: no burst). */
    burst: { type: 'string', default: '0' },
    /** Seconds of publishing per rate. */
    seconds: { type: 'string' },
    /** Inbox subscribers per recipient enhet (R = inbox subscribers / this). */
    'per-recipient': { type: 'string', default: '1' },
    /** Accounting firms subscribing to clientMessagePublished, with how many subscribers each… */
    firms: { type: 'string', default: '10' },
    'per-firm': { type: 'string', default: '1' },
    /** …and how many of the recipients are clients of each. */
    'clients-per-firm': { type: 'string', default: '200' },
    /** Subscribers opened at a time while ramping up. */
    'ramp-batch': { type: 'string', default: '500' },
    'client-processes': { type: 'string', default: '2' },
    /** Local addresses 127.0.0.1… the subscribers' sockets are spread over (ephemeral ports). */
    sources: { type: 'string', default: '1' },
    /** The gateway's CPU, then everyone else's; `none` pins nothing. */
    cpus: { type: 'string', default: '0,1' },
    'node-flags': { type: 'string', default: '--max-semi-space-size=64' },
    /** Count the subgraphs' SQL statements per phase (MikroORM's query log; costs some CPU). */
    'count-queries': { type: 'boolean', default: false },
    /** Node options of the subgraphs' process (e.g. --cpu-prof). */
    'subgraph-flags': { type: 'string', default: '' },
    /** WS_MAX_BUFFERED_EVENTS of the gateway (its default). */
    'max-buffered': { type: 'string', default: '1000' },
    /** `navn`: events ask the sender's name (a fetch from Enhetsregisteret per event); `plain`: not. */
    selection: { type: 'string', default: 'navn' },
    /** Varsling's engine turns every message into notification orders (work on the other CPU). */
    'varsling-engine': { type: 'string', default: 'off' },
    /** Warm-up messages waiting for their first event at a time. */
    'warmup-window': { type: 'string', default: '200' },
    /** Give up waiting for the last events after this many seconds without one. */
    drain: { type: 'string', default: '30' },
    /** …and after this many seconds in all. */
    'drain-max': { type: 'string', default: '300' },
    /** Descriptors of the gateway kept free for its subgraph connections when capping N. */
    'fd-reserve': { type: 'string', default: '200' },
    /** Try every subscriber asked for, past the gateway's descriptor limit. */
    'no-cap': { type: 'boolean', default: false },
    'pg-port': { type: 'string', default: '54353' },
    /** The gateway's port (default: a free one). */
    'gateway-port': { type: 'string' },
    data: { type: 'string', default: '.data/bench/subscriptions' },
  },
});

const root = fileURLToPath(new URL('../..', import.meta.url));
process.chdir(root);
const num = (name: keyof typeof values, fallback?: number) => {
  const raw = values[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (n === undefined || !Number.isFinite(n) || n < 0) usage(`bad --${name}`);
  return n;
};
const askedSubscribers = Math.floor(num('subscribers', values.quick ? 2000 : 20_000));
let total = askedSubscribers;
const seconds = num('seconds', values.quick ? 5 : 10);
const rates = values.rates.split(',').map(Number);
const perRecipient = Math.max(1, Math.floor(num('per-recipient')));
const firmCount = Math.floor(num('firms'));
const perFirm = Math.floor(num('per-firm'));
let clientsPerFirm = Math.max(1, Math.floor(num('clients-per-firm')));
let firmShape: FirmShape = { firms: 0, clientsPerFirm: 0, stride: 1 };
const rampBatch = Math.max(1, Math.floor(num('ramp-batch')));
const processes = Math.max(1, Math.floor(num('client-processes')));
const sources = Math.max(1, Math.min(250, Math.floor(num('sources'))));
const drainMs = num('drain') * 1000;
const drainMaxMs = num('drain-max') * 1000;
const warmupWindow = Math.max(1, Math.floor(num('warmup-window')));
if (rates.some((r) => !(r > 0)) || !(seconds > 0)) usage('bad --rates or --seconds');
if (!['on', 'off'].includes(values['varsling-engine'])) usage('--varsling-engine is on or off');
if (!['navn', 'plain'].includes(values.selection)) usage('--selection is navn or plain');
const selection = values.selection as 'navn' | 'plain';
let firmSubscribers = firmCount > 0 ? Math.min(firmCount * perFirm, total) : 0;
let inboxSubscribers = total - firmSubscribers;
/** Fewer subscribers than asked for (the same firms, fewer inboxes). */
const capTo = (n: number) => {
  total = Math.max(0, n);
  firmSubscribers = Math.min(firmSubscribers, total);
  inboxSubscribers = total - firmSubscribers;
};
const fdReserve = Math.floor(num('fd-reserve'));
const dataDir = path.resolve(values.data);
const log = createLogger('bench', 'warn');
const secret = 'bench:subscriptions internal identity secret, not used for anything else';
const devKeyPath = path.resolve('.data/auth/dev-signing-key.json');

// Pinning: the gateway alone on one CPU, everything else (PostgreSQL, subgraphs, clients) on another.
const { pinned, gatewayCpu, restCpu, describe: describePinning } = pinFromFlag(values.cpus);

const nofile = descriptors(process.pid);
const ports = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
const portCount = Number(ports[1]) - Number(ports[0]) + 1;
console.log(
  `subscriptions benchmark: node ${process.version}, ${os.cpus()[0]?.model ?? '?'} ` +
    `(${os.cpus().length} CPUs), ${os.type()} ${os.release()}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
);
console.log(describePinning('PostgreSQL, subgraphs, subscriber clients'));
console.log(
  `limits: open files ${nofile?.soft}/${nofile?.hard} (soft/hard, inherited by every process here); ` +
    `ephemeral ports ${ports.join('–')} (${portCount}) per source address, ${sources} source address(es)`,
);

// Whatever ends the run, nothing it started outlives it.
let server: BenchServer | undefined;
const subgraphs = new SubgraphsProcess({
  nodeFlags: values['subgraph-flags'].split(' ').filter(Boolean),
  secret,
  varslingEngine: values['varsling-engine'] === 'on',
  countQueries: values['count-queries'],
});
let gateway: RunningGateway | undefined;
let publisher: MessagePublisher | undefined;
const clients: ClientProcess[] = [];
const cleanup = async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gateway?.close();
  await subgraphs.stop();
  await publisher?.close().catch(() => {});
  await server?.stop();
};
onShutdown(log, [cleanup], { timeoutMs: 60_000 });

/** What the run started, as its later steps reach it. */
interface Infrastructure {
  databaseUrl: string;
  publisher: MessagePublisher;
  gwPid: number | undefined;
  /** The gateway's files open and allowed when it had started. */
  gwFds: ReturnType<typeof descriptors>;
  /** The gateway's origin (its /metrics) and its graphql-ws URL. */
  base: string;
  wsUrl: string;
}

/** Who subscribes to what: real enheter of the register. */
interface Audience {
  /** Accounting firms' organisasjonsnummer; the first `F` have subscribers. */
  firms: string[];
  F: number;
  /** The `R` recipient enheter, firms' clients among them. */
  recipients: string[];
  R: number;
}

/** The subscribers the ramp got live, and why it stopped early if it did. */
interface Ramp {
  open: SubscriberSpec[];
  stoppedAt: string | undefined;
}

async function run(): Promise<void> {
  const infrastructure = await startInfrastructure();
  capToGateway(infrastructure.gwFds);
  const audience = await chooseAudience(infrastructure);
  const specs = await subscriberSpecs(audience);
  // Subscriber processes, on the same CPU as this one (taskset is inherited).
  for (let k = 0; k < processes; k++) clients.push(new ClientProcess(k));
  const ramp = await rampUp(specs, infrastructure, audience.recipients);
  const rows = await measurePhases(ramp.open, infrastructure, audience.recipients);
  const final = await sampleGateway(infrastructure.base);
  printReport(
    {
      subscribers: ramp.open.length,
      asked: askedSubscribers,
      stoppedAt: ramp.stoppedAt,
      inboxes: audience.R,
      firms: audience.F,
      seconds,
      final,
    },
    rows,
  );
}

/**
 * PostgreSQL (its own port and data directory), the subgraphs (a child process, demo data on a
 * fresh database), the publisher, and our gateway with limits for this many connections per
 * token (via --env-file, which startGateway passes on among the node flags).
 */
async function startInfrastructure(): Promise<Infrastructure> {
  await mkdir(dataDir, { recursive: true });
  server = await startBenchServer(path.join(dataDir, 'pg'), Number(values['pg-port']), log);
  // startBenchServer set its own signal handlers; ours stop the clients and gateway first.
  onShutdown(log, [cleanup], { timeoutMs: 60_000 });
  const db = await benchDatabase(server.url, 'subscriptions', false);

  console.log('starting the subgraphs (child process; demo data on a fresh database)…');
  const subgraphUrls = await subgraphs.start(db.url);
  publisher = new MessagePublisher(db.url);

  const envFile = path.join(dataDir, 'gateway.env');
  const gatewayEnv = {
    WS_MAX_CONNECTIONS_PER_TOKEN: '100000',
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '100',
    WS_MAX_BUFFERED_EVENTS: values['max-buffered'],
  };
  await writeFile(
    envFile,
    Object.entries(gatewayEnv)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const nodeFlags = [...values['node-flags'].split(' ').filter(Boolean), `--env-file=${envFile}`];
  gateway = await startGateway('ours', {
    supergraphPath: 'schema/supergraph.graphql',
    subgraphUrls,
    port: values['gateway-port'] ? Number(values['gateway-port']) : await freePort(),
    cpu: gatewayCpu,
    root,
    secret,
    devKeyPath,
    hiveDedupe: false,
    nodeFlags,
  });
  const gwPid = gateway.process.child.pid;
  const gwFds = descriptors(gwPid);
  console.log(
    `gateway: node ${nodeFlags.join(' ')} dist/gateway/main.js (pid ${gwPid}), ` +
      Object.entries(gatewayEnv)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') +
      `, generous LIMIT_*; ${gwFds?.open} files open, limit ${gwFds?.soft}/${gwFds?.hard}`,
  );
  return {
    databaseUrl: db.url,
    publisher,
    gwPid,
    gwFds,
    base: gateway.url.replace(/\/graphql$/, ''),
    wsUrl: gateway.url.replace(/^http/, 'ws'),
  };
}

/**
 * Caps the subscribers at what the gateway can hold: every client socket is a descriptor of
 * the gateway; its RLIMIT_NOFILE bounds them, less what it has open and a reserve for its own
 * connections to the subgraphs (unless --no-cap). Notes when the sockets may run out of
 * ephemeral ports.
 */
function capToGateway(gwFds: ReturnType<typeof descriptors>): void {
  const fit = gwFds ? gwFds.soft - gwFds.open - fdReserve : Infinity;
  if (total > fit) {
    console.log(
      `  limit: ${total} client sockets need as many descriptors in the gateway; its open-files ` +
        `limit is ${gwFds!.soft} (soft; hard ${gwFds!.hard}; inherited from the shell, raise both ` +
        `with ulimit -n where allowed), ${gwFds!.open} are open and ${fdReserve} are kept for its ` +
        `subgraph connections (--fd-reserve): ` +
        (values['no-cap'] ? `trying ${total} anyway (--no-cap)` : `capped at ${fit}`),
    );
    if (!values['no-cap']) capTo(fit);
  }
  if (Math.ceil(total / sources) > portCount - 500) {
    console.log(
      `  note: ${Math.ceil(total / sources)} sockets per source address, ${portCount} ephemeral ports`,
    );
  }
}

/**
 * The shape: recipients and firms are real enheter of the register (grown if need be), each
 * firm's clients' inboxes open to it by grants. Sets `clientsPerFirm` and `firmShape`, and says
 * what the run will measure.
 */
async function chooseAudience({ publisher, databaseUrl }: Infrastructure): Promise<Audience> {
  const firms = await accountingFirms(publisher);
  const F = firmSubscribers > 0 ? firmCount : 0;
  const wantedRecipients = Math.max(1, Math.ceil(inboxSubscribers / perRecipient));
  // Firms' clients are among the recipients.
  clientsPerFirm =
    F > 0 ? Math.max(1, Math.min(clientsPerFirm, Math.floor(wantedRecipients / F))) : 0;
  const recipients = await recipientEnheter(publisher, databaseUrl, firms, wantedRecipients);
  const R = recipients.length;
  firmShape = {
    firms: F,
    clientsPerFirm,
    stride: F > 0 ? Math.max(1, Math.floor(R / (F * clientsPerFirm))) : 1,
  };
  if (F > 0) await grantFirms(publisher, recipients, firms, F);
  console.log(
    `shape: ${total} subscribers, one graphql-ws connection each: ${inboxSubscribers} on ` +
      `messagePublished(recipient) over ${R} recipient enheter (~${(inboxSubscribers / R).toFixed(1)} ` +
      `per inbox: many businesses, each with its inbox open once), each with its organisation's ` +
      `token (one per org); ${firmSubscribers} on clientMessagePublished for ${F} accounting ` +
      `firms (${perFirm} each, ${clientsPerFirm} clients each by ALL_DPV grants, ` +
      `${firmShape.stride === 1 ? 'all of them' : `one recipient in ${firmShape.stride}`}). ` +
      `Messages go to the ${R} recipients round-robin`,
  );
  console.log(
    (selection === 'navn'
      ? 'each event: meldingsboks → gateway, which fetches sender { navn } (firms: also recipient ' +
        '{ navn }) from Enhetsregisteret per event and subscriber'
      : 'each event: meldingsboks → gateway → client, no other subgraph (--selection plain: ' +
        'sender { organisasjonsnummer } only)') +
      `; varsling serving, its engine ${values['varsling-engine']}`,
  );
  return { firms, F, recipients, R };
}

/** The register's first --firms accounting firms (næringskode 69.201). */
async function accountingFirms(publisher: MessagePublisher): Promise<string[]> {
  const firms = (
    await publisher.query<{ orgnr: string }>(
      `select organisasjonsnummer as orgnr from enhetsregisteret.enhet
       where naeringskode1 ->> 'kode' = '69.201' and slettedato is null
       order by organisasjonsnummer limit $1`,
      [firmCount],
    )
  ).map((r) => r.orgnr);
  if (firms.length < firmCount && firmSubscribers > 0) {
    throw new Error(`the register has ${firms.length} accounting firms, asked for ${firmCount}`);
  }
  return firms;
}

/** `wanted` enheter other than the firms, the register grown first when it has too few. */
async function recipientEnheter(
  publisher: MessagePublisher,
  databaseUrl: string,
  firms: string[],
  wanted: number,
): Promise<string[]> {
  const recipientsIn = async () =>
    (
      await publisher.query<{ orgnr: string }>(
        `select organisasjonsnummer as orgnr from enhetsregisteret.enhet
         where slettedato is null and not (organisasjonsnummer = any($1))
         order by organisasjonsnummer`,
        [firms],
      )
    ).map((r) => r.orgnr);
  let available = await recipientsIn();
  const seeded = available.length;
  if (available.length < wanted) {
    const t = performance.now();
    const added = await growRegister(databaseUrl, wanted - available.length);
    available = await recipientsIn();
    console.log(
      `register: ${seeded} usable enheter seeded, ${added} more generated (brreg/generate.ts, ` +
        `upserted as the seed does) in ${seconds1(performance.now() - t)}: ${available.length} usable`,
    );
  }
  return available.slice(0, wanted);
}

/**
 * The j-th client (recipient j × stride) is firm j mod F's: its inbox is open to the firm
 * (ALL_DPV), as a client grants its accountant. See protocol.ts firmOf.
 */
async function grantFirms(
  publisher: MessagePublisher,
  recipients: string[],
  firms: string[],
  F: number,
): Promise<void> {
  const owners = Array.from(
    { length: F * clientsPerFirm },
    (_, j) => recipients[j * firmShape.stride]!,
  );
  await publisher.query(
    `insert into meldingsboks.inbox_grant (owner_orgnr, grantee_orgnr, kind, via_role, granted_by)
     select owner, grantee, 'ALL_DPV', null, 'bench' from unnest($1::text[], $2::text[]) as g(owner, grantee)
     on conflict do nothing`,
    [owners, owners.map((_, j) => firms[j % F]!)],
  );
}

/**
 * Every subscriber, in ramp order: a token per organisation (valid for the whole run), firm
 * subscribers spread through the ramp, not all at its end, and each socket's source address.
 */
async function subscriberSpecs({ firms, F, recipients, R }: Audience): Promise<SubscriberSpec[]> {
  const tokenOf = new Map<string, string>();
  for (const org of [...recipients, ...firms.slice(0, F)]) {
    tokenOf.set(
      org,
      await signDevToken(devKeyPath, {
        sub: `bench-${org}`,
        org,
        scope: 'dpv:read',
        ttl: 6 * 3600,
      }),
    );
  }
  const specs: SubscriberSpec[] = [];
  const firmEvery = firmSubscribers > 0 ? Math.floor(total / firmSubscribers) : Infinity;
  let nextInbox = 0;
  let nextFirm = 0;
  for (let i = 0; i < total; i++) {
    const localAddress = sources > 1 ? `127.0.0.${1 + (i % sources)}` : undefined;
    const firm = nextFirm < firmSubscribers && (i + 1) % firmEvery === 0;
    if (firm) {
      const f = nextFirm++ % F;
      specs.push({
        index: i,
        kind: 'firm',
        target: f,
        token: tokenOf.get(firms[f]!)!,
        localAddress,
      });
    } else {
      const r = nextInbox++ % R;
      const recipient = recipients[r]!;
      specs.push({
        index: i,
        kind: 'inbox',
        target: r,
        recipient,
        token: tokenOf.get(recipient)!,
        localAddress,
      });
    }
  }
  for (const s of specs) if (!s.localAddress) delete s.localAddress;
  return specs;
}

/**
 * Ramps up in batches. Each batch connects, then goes live before the next: a message to each
 * of its inboxes until every one of its subscribers has received one (a subscription reads the
 * head when it starts at meldingsboks, so only then is it surely live). At most
 * --warmup-window such messages wait at a time. The ramp stops at the first batch that does not
 * fully connect or go live; the phases measure the live ones. Then waits until the warm-up's
 * last events have come, so that the phases start quiet.
 */
async function rampUp(
  specs: SubscriberSpec[],
  { gwPid, base, wsUrl }: Infrastructure,
  recipients: string[],
): Promise<Ramp> {
  const baseline = { rss: rssMb(gwPid), fds: descriptors(gwPid)?.open };
  console.log(
    `\nramp: ${total} subscribers, ${rampBatch} at a time over ${processes} client process(es), ` +
      `each batch live (first event received) before the next; gateway RSS ${fmt(baseline.rss, 0)} MB before`,
  );
  const rampStart = performance.now();
  const byIndex = new Map(specs.map((s) => [s.index, s]));
  const open: SubscriberSpec[] = [];
  const failures = new Map<string, number>();
  let stoppedAt: string | undefined;
  let warmMs = 0;
  let warmEvents = 0;
  let segment = { at: performance.now(), warmMs: 0, warmEvents: 0 };
  for (let from = 0; from < total; from += rampBatch) {
    const batch = specs.slice(from, from + rampBatch);
    const failedHere = await connectBatch(batch, wsUrl, failures);
    const done = from + batch.length;
    if (failedHere.size > 0) {
      const fds = descriptors(gwPid);
      stoppedAt =
        `${failedHere.size} of the batch ${from + 1}–${done} did not connect ` +
        `(${[...failures].map(([r, n]) => `${n}× ${r}`).join('; ')}); gateway: ${fds?.open ?? '?'} files ` +
        `open of ${fds?.hard ?? '?'} allowed${gateway!.process.child.exitCode !== null ? ', and it exited' : ''}`;
    }
    const t = performance.now();
    await untilSubscribedUpstream(base, open.length + batch.length - failedHere.size);
    const warm = await goLive(byIndex, recipients);
    warmMs += performance.now() - t;
    warmEvents += warm.published;
    const live = batch.filter((s) => !failedHere.has(s.index) && !warm.notLive.has(s.index));
    open.push(...live);
    if (!stoppedAt && (warm.notLive.size > 0 || warm.dropped > 0)) {
      stoppedAt =
        `${warm.notLive.size} of the batch ${from + 1}–${done} did not go live` +
        (warm.dropped ? `, ${warm.dropped} subscriptions dropped so far` : '') +
        ` (warm-up rounds: ${warm.rounds.join(', ')})`;
    }
    if (stoppedAt) {
      // Those not live would only count as losses: let them go.
      const gone = batch.filter((s) => !live.includes(s)).map((s) => s.index);
      await Promise.all(clients.map((c) => c.ask({ type: 'forget', indices: gone })));
      console.log(`  stopped: ${stoppedAt}`);
      subgraphs.printLog('in the ramp');
      break;
    }
    if (done % 5000 === 0 || done === total) {
      const now = performance.now();
      const w = { ms: warmMs - segment.warmMs, events: warmEvents - segment.warmEvents };
      console.log(
        `  ${done} live in ${seconds1(now - rampStart)} (this stretch: ${seconds1(now - segment.at)}, ` +
          `of which warm-up ${seconds1(w.ms)}, ${fmt(w.events / (w.ms / 1000), 0)} warm-up events/s); ` +
          `gateway RSS ${fmt(rssMb(gwPid), 0)} MB, ${descriptors(gwPid)?.open ?? '?'} files open`,
      );
      segment = { at: now, warmMs, warmEvents };
    }
  }
  const rampMs = performance.now() - rampStart;
  await untilQuiet();
  const afterRamp = { rss: rssMb(gwPid), metrics: await sampleGateway(base) };
  const dropped = (await statuses(clients)).reduce((n, s) => n + s.dropped, 0);
  console.log(
    `ramp: ${open.length} of ${total} live in ${seconds1(rampMs)} (warm-up ${seconds1(warmMs)}, ` +
      `${warmEvents} messages); gateway RSS ${fmt(afterRamp.rss, 0)} MB ` +
      `(+${fmt((((afterRamp.rss ?? 0) - (baseline.rss ?? 0)) * 1024) / Math.max(1, open.length), 1)} kB ` +
      `per subscriber), subscriptions_active ${afterRamp.metrics?.active ?? '?'}, ` +
      `websocket_connections ${afterRamp.metrics?.connections ?? '?'}` +
      (dropped ? `; ${dropped} dropped` : ''),
  );
  if (dropped) {
    const reasons = new Map<string, number>();
    for (const st of await statuses(clients)) {
      for (const [k, n] of Object.entries(st.drops)) reasons.set(k, (reasons.get(k) ?? 0) + n);
    }
    for (const [k, n] of reasons) console.log(`  dropped: ${n}× ${k}`);
  }
  if (open.length === 0) throw new Error('no subscriber went live');
  subgraphs.printLog('in the ramp');
  return { open, stoppedAt };
}

/**
 * Opens one batch's connections, spread over the subscriber processes by index; the indices of
 * those that did not connect, their reasons added to `failures`.
 */
async function connectBatch(
  batch: SubscriberSpec[],
  wsUrl: string,
  failures: Map<string, number>,
): Promise<Set<number>> {
  const replies = await Promise.all(
    clients.map((c, k) =>
      c.ask({
        type: 'open',
        url: wsUrl,
        selection,
        subscribers: batch.filter((s) => s.index % processes === k),
        timeoutMs: 60_000,
      }),
    ),
  );
  const failed = new Set<number>();
  for (const reply of replies) {
    if (reply.type !== 'opened') continue;
    for (const f of reply.failed) {
      failed.add(f.index);
      failures.set(f.reason, (failures.get(f.reason) ?? 0) + 1);
    }
  }
  return failed;
}

/**
 * Until the gateway counts `connected` subscriptions (at most 10 s): it has sent them upstream
 * by then. Then a moment for meldingsboks to start them, and the warm-up messages find them
 * live (most of the time).
 */
async function untilSubscribedUpstream(base: string, connected: number): Promise<void> {
  for (let i = 0; i < 100 && ((await sampleGateway(base))?.active ?? Infinity) < connected; i++)
    await sleep(100);
  await sleep(300);
}

/** Until the warm-up's last events (repeats included) have come: 2 s without one, or 2 min. */
async function untilQuiet(): Promise<void> {
  let seen = -1;
  const quietStart = performance.now();
  for (let still = 0; still < 4 && performance.now() - quietStart < 120_000;) {
    await sleep(500);
    const now = (await statuses(clients)).reduce((n, s) => n + s.stale, 0);
    still = now === seen ? still + 1 : 0;
    seen = now;
  }
}

/** The measured phases: each rate in turn, the recipients round-robin across them. */
async function measurePhases(
  open: SubscriberSpec[],
  infrastructure: Infrastructure,
  recipients: string[],
): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor = 0;
  const next = () => cursor++ % recipients.length;
  for (const [phase, rate] of rates.entries()) {
    rows.push(await measurePhase(phase, rate, open, infrastructure, recipients, next));
  }
  const burst = Math.floor(num('burst'));
  if (burst > 0) {
    rows.push(await measurePhase(rates.length, 0, open, infrastructure, recipients, next, burst));
  }
  return rows;
}

/**
 * One phase: messages straight into meldingsboks' tables at `rate` for --seconds, then the
 * drain, then every subscriber process's count of what arrived (expected, delivered, lost,
 * duplicated, latencies), with the processes' CPU and memory over the phase.
 */
async function measurePhase(
  phase: number,
  rate: number,
  open: SubscriberSpec[],
  { publisher, gwPid, base }: Infrastructure,
  recipients: string[],
  next: () => number,
  /** A burst of this many messages at once instead of `rate`. */
  burst?: number,
): Promise<Row> {
  const count = burst ?? Math.round(rate * seconds);
  const tag = burst ? `burst-${burst}` : `phase-${phase + 1}-${rate}`;
  process.stdout.write(
    burst
      ? `\nburst: publishing ${count} messages at once (load ${os.loadavg()[0]!.toFixed(1)})… `
      : `\n${rate}/s: publishing ${count} messages over ${seconds} s (load ${os.loadavg()[0]!.toFixed(1)})… `,
  );
  await Promise.all(clients.map((c) => c.ask({ type: 'phase', title: titleOf(tag) })));
  if (values['count-queries']) await subgraphs.queries();
  const before = snapshot(gwPid);
  const beforeMetrics = await sampleGateway(base);
  const phaseStart = performance.now();
  const paced = burst
    ? await publisher.burst(count, recipients, next, tag)
    : await publisher.paced(rate, count, recipients, next, tag);
  const expected = expectedEvents(paced.published, open);
  process.stdout.write(
    `sent ${paced.published.ids.length} at ${Math.round(paced.published.ids.length / (paced.wallMs / 1000))}/s; ` +
      `waiting for ${expected} events… `,
  );
  const drained = await drain(expected);
  const statements = values['count-queries'] ? await subgraphs.queries() : undefined;
  const after = snapshot(gwPid);
  const afterMetrics = await sampleGateway(base);
  const elapsed = (performance.now() - phaseStart) / 1000;
  console.log(`done in ${seconds1(drained.ms)}`);
  subgraphs.printLog('in this phase');
  if (statements) printStatements(statements, drained.received);
  const parts = await Promise.all(
    clients.map((c) => c.ask({ type: 'collect', published: paced.published, firms: firmShape })),
  );
  return summarize({
    rate,
    ...(burst ? { label: `burst ${burst}` } : {}),
    paced,
    parts: parts.filter(
      (p): p is Extract<ClientReply, { type: 'collected' }> => p.type === 'collected',
    ),
    subscribers: open.length,
    drainMs: drained.ms,
    before,
    after,
    elapsed,
    beforeMetrics,
    afterMetrics,
    pinnedCpus: pinned ? { gateway: gatewayCpu!, rest: restCpu! } : undefined,
  });
}

/**
 * Until every expected event arrived, or none came for --drain seconds, or --drain-max passed:
 * how long that took, and the events received.
 */
async function drain(expected: number): Promise<{ ms: number; received: number }> {
  const drainStart = performance.now();
  let received = 0;
  let lastProgress = performance.now();
  for (;;) {
    const now = (await statuses(clients)).reduce((n, s) => n + s.received, 0);
    if (now > received) {
      received = now;
      lastProgress = performance.now();
    }
    if (
      received >= expected ||
      performance.now() - lastProgress > drainMs ||
      performance.now() - drainStart > drainMaxMs
    ) {
      break;
    }
    await sleep(200);
  }
  return { ms: performance.now() - drainStart, received };
}

/** The subgraphs' SQL statements of a phase (--count-queries): the sum, and the most frequent. */
function printStatements(statements: Record<string, number>, received: number): void {
  const sum = Object.values(statements).reduce((a, b) => a + b, 0);
  console.log(
    `  subgraph SQL statements (ORM): ${sum}, ${fmt(sum / Math.max(1, received), 2)} per event received; most frequent:`,
  );
  for (const [sql, n] of Object.entries(statements)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)) {
    console.log(`    ${String(n).padStart(7)}  ${sql}`);
  }
}

/** The gateway's memory, and the CPU seconds of each process and CPU so far. */
function snapshot(gwPid: number | undefined): Snapshot {
  const sum = (xs: Array<number | undefined>) =>
    xs.some((x) => x === undefined) ? undefined : xs.reduce<number>((a, b) => a + b!, 0);
  const pg = treeUsage(postmasterPid(path.join(dataDir, 'pg')));
  return {
    rss: rssMb(gwPid),
    gateway: processCpuSeconds(gwPid),
    subgraphs: processCpuSeconds(subgraphs.pid),
    clients: sum(clients.map((c) => processCpuSeconds(c.pid))),
    pg: pg?.cpu,
    rssSubgraphs: rssMb(subgraphs.pid),
    rssClients: sum(clients.map((c) => rssMb(c.pid))),
    rssPg: pg?.rss,
    cpus: cpuTimes(),
  };
}

/** Events the open subscribers should get: each inbox's messages, each firm's clients' ones. */
function expectedEvents(published: Published, open: SubscriberSpec[]): number {
  const perRecipient = new Map<number, number>();
  const perFirm = new Map<number, number>();
  for (const r of published.recipients) {
    perRecipient.set(r, (perRecipient.get(r) ?? 0) + 1);
    const f = firmOf(r, firmShape);
    if (f !== undefined) perFirm.set(f, (perFirm.get(f) ?? 0) + 1);
  }
  return open.reduce(
    (n, s) => n + ((s.kind === 'inbox' ? perRecipient : perFirm).get(s.target) ?? 0),
    0,
  );
}

/**
 * Until every subscriber not yet live has received an event: messages to their inboxes (a
 * firm's: its first client), at most --warmup-window waiting at a time, in rounds; a round ends
 * when none has gone live for 2.5 s, and the next sends again to those still waiting.
 */
async function goLive(
  byIndex: Map<number, SubscriberSpec>,
  recipients: string[],
): Promise<{ notLive: Set<number>; dropped: number; published: number; rounds: string[] }> {
  // Inbox: its recipient; firm f: its first client.
  const targetOf = (s: SubscriberSpec) =>
    s.kind === 'inbox' ? s.target : s.target * firmShape.stride;
  const targetsOf = (indices: number[]) => new Set(indices.map((i) => targetOf(byIndex.get(i)!)));
  let notReady = await readiness(clients);
  const rounds: string[] = [];
  let published = 0;
  for (let round = 1; notReady.length > 0 && round <= 5; round++) {
    const roundStart = performance.now();
    const before = notReady.length;
    const queue = [...targetsOf(notReady)];
    /** When each inbox's message was sent; one unanswered for 2 s no longer holds a place. */
    const sent = new Map<number, number>();
    let last = notReady.length;
    let stillSince = performance.now();
    while (notReady.length > 0 && performance.now() - stillSince < 2500) {
      const now = performance.now();
      const waiting = [...targetsOf(notReady)].filter((r) => now - (sent.get(r) ?? -1e9) < 2000);
      const room = Math.min(warmupWindow - waiting.length, queue.length);
      for (let k = 0; k < room; k += 50) {
        const chunk = queue.splice(0, Math.min(50, room - k));
        for (const r of chunk) sent.set(r, now);
        await publisher!.publish(
          chunk.map((r) => recipients[r]!),
          `warm-up-${round}`,
        );
        published += chunk.length;
      }
      await sleep(100);
      notReady = await readiness(clients);
      if (notReady.length < last || room > 0) {
        last = notReady.length;
        stillSince = performance.now();
      }
    }
    rounds.push(`${before - notReady.length} in ${seconds1(performance.now() - roundStart)}`);
  }
  const dropped = (await statuses(clients)).reduce((n, st) => n + st.dropped, 0);
  return { notLive: new Set(notReady), dropped, published, rounds };
}

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: npm run bench:subscriptions -- [--quick] [--subscribers N] ` +
      '[--rates 100,1000] [--seconds S] [--burst N] [--per-recipient 1] [--firms 10] [--per-firm 1] ' +
      '[--clients-per-firm 200] [--selection navn|plain] [--ramp-batch 500] [--warmup-window 200] ' +
      '[--client-processes 2] [--sources 1] [--cpus 0,1|none] [--fd-reserve 200] [--no-cap] ' +
      '[--varsling-engine off|on] [--count-queries] [--subgraph-flags "..."] (see bench/subscriptions.ts)',
  );
  process.exit(2);
}

// Last, once every class and function above is defined.
let failed = false;
try {
  await run();
} catch (err) {
  failed = true;
  console.error(`\nbench failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
