import { gatewayEnv } from '../gateway/env.js';
import { gatewayOptionsFrom } from '../gateway/config.js';
import { startGateway } from '../gateway/server.js';
import { internalIdentityFrom } from '../platform/auth/internalIdentity.js';
import { loadEnv } from '../platform/env.js';
import { createLogger } from '../platform/logger.js';
import { onShutdown } from '../platform/shutdown.js';
import { startTracing } from '../platform/tracing.js';
import { startSubgraph, type RunningSubgraph } from '../platform/subgraph.js';
import { portOf, openConfiguredDatabase, loadSubgraphEnv, settingsOf } from './env.js';
import { subgraphs } from './registry.js';

/**
 * `npm start`: PostgreSQL (embedded unless DATABASE_URL is set), the three subgraphs and the
 * gateway in this one process; Ctrl-C or SIGTERM stops them all, the database last.
 */
const began = performance.now();
const env = loadSubgraphEnv();
const gwEnv = loadEnv(gatewayEnv);
const log = createLogger('dpv-graph', env.LOG_LEVEL);
const production = env.NODE_ENV === 'production';
const identity = internalIdentityFrom(env);
const tracing = startTracing('dpv-graph', env.OTEL_EXPORTER_OTLP_ENDPOINT);

const db = await openConfiguredDatabase(env, log);
const running: RunningSubgraph[] = [];
const stopAll = [
  async () => {
    for (const s of running.reverse()) await s.close();
  },
  () => db.stop(),
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
  const gateway = await startGateway({
    ...(await gatewayOptionsFrom(gwEnv, log)),
    subgraphUrls: Object.fromEntries(running.map((s) => [s.name, s.url])),
    databaseUrl: db.url,
  });
  stopAll.unshift(() => gateway.close());
  log.info(
    { url: gateway.url, startupMs: Math.round(performance.now() - began) },
    `dpv-graph ready at ${gateway.url}`,
  );
} catch (err) {
  log.fatal({ err }, 'start failed');
  for (const step of stopAll) await step().catch(() => {});
  process.exit(1);
}
