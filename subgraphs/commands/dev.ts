import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { internalIdentityFrom } from '../../platform/auth/internalIdentity.js';
import { createLogger } from '../../platform/runtime/logger.js';
import { onShutdown } from '../../platform/runtime/shutdown.js';
import { startTracing } from '../../platform/runtime/tracing.js';
import { startSubgraph, type RunningSubgraph } from '../../platform/subgraph.js';
import { portOf, openConfiguredDatabase, loadSubgraphEnv, settingsOf } from '../env.js';
import { subgraphs } from '../registry.js';

/**
 * `npm start`: PostgreSQL (embedded unless DATABASE_URL is set) and the three subgraphs in this
 * process, the gateway in a process of its own (as it runs in production: its event loop is
 * its own); Ctrl-C or SIGTERM stops the gateway, then the subgraphs, then PostgreSQL.
 *
 * A terminal's Ctrl-C signals its whole foreground process group, and PostgreSQL, started by
 * this process, would stop at once, before the services using it. So `npm start` runs a small
 * launcher that starts the runner in a process group of its own and passes any signal on as
 * SIGTERM: then the runner alone decides the order.
 */
const RUNNER_FLAG = '--runner';
/** The enhet whose inbox the demo data fills (the README's examples read it too). */
const DEMO_EXPLORER_ORG = '310012343';
const GATEWAY_MAIN = fileURLToPath(new URL('../../gateway/main.js', import.meta.url));

if (!process.argv.includes(RUNNER_FLAG)) await launch();
else await run();

async function launch(): Promise<void> {
  const runner = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), RUNNER_FLAG],
    {
      detached: true,
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => runner.kill('SIGTERM'));
  }
  const code = await new Promise<number>((resolve) =>
    runner.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
  );
  process.exit(code);
}

async function run(): Promise<void> {
  const began = performance.now();
  const env = loadSubgraphEnv();
  const log = createLogger('dpv-graph', env.LOG_LEVEL);
  const production = env.NODE_ENV === 'production';
  const identity = internalIdentityFrom(env);
  const tracing = startTracing('dpv-graph', env.OTEL_EXPORTER_OTLP_ENDPOINT);

  const db = await openConfiguredDatabase(env, log);
  const running: RunningSubgraph[] = [];
  let gateway: ChildProcess | undefined;
  const stopAll = [
    async () => {
      if (gateway) await stopChild(gateway);
      log.info('gateway stopped');
    },
    async () => {
      for (const s of running.reverse()) await s.close();
      log.info('subgraphs stopped');
    },
    async () => {
      await db.stop();
      log.info('database stopped');
    },
    async () => tracing?.shutdown(),
  ];
  onShutdown(log, stopAll);

  try {
    for (const def of subgraphs) {
      running.push(
        await startSubgraph(def, {
          databaseUrl: db.url,
          host: env.HOST,
          port: portOf(env, def),
          log,
          seedWhenEmpty: env.SEED_DEMO_DATA,
          production,
          identity,
          // Subgraphs start in dependency order, so the ones a subgraph calls are already up.
          peers: Object.fromEntries(running.map((s) => [s.name, s.url])),
          settings: settingsOf(env, def),
        }),
      );
    }
    const started = startGateway({
      SUBGRAPH_URLS: running.map((s) => `${s.name}=${s.url}`).join(','),
      // Its own state (rate-limit budgets) in the same PostgreSQL, schema "gateway".
      DATABASE_URL: db.url,
      // The explorer's headers editor opens with a token for the demo data's first enhet.
      EXPLORER_TOKEN_ORG: process.env.EXPLORER_TOKEN_ORG || DEMO_EXPLORER_ORG,
    });
    gateway = started.child;
    const url = await started.url;
    log.info(
      { url, startupMs: Math.round(performance.now() - began) },
      `dpv-graph ready at ${url}`,
    );
  } catch (err) {
    log.fatal({ err }, 'start failed');
    for (const step of stopAll) await step().catch(() => {});
    process.exit(1);
  }
}

/**
 * The gateway as `node dist/gateway/main.js` with this process's environment and `env`; its
 * log lines pass through, and `url` resolves once it listens.
 */
function startGateway(env: Record<string, string>) {
  const child = spawn(process.execPath, [...process.execArgv, GATEWAY_MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      if (line.includes('"msg":"listening"')) {
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`the gateway exited (${code}) before it listened`)),
    );
  });
  return { child, url };
}

/** SIGTERM, then the gateway's own orderly stop; SIGKILL if it has not ended within 20 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // 'close': the process has exited and its output is drained, its last log lines passed on.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
