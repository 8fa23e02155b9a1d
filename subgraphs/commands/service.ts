import { internalIdentityFrom } from '../../platform/auth/internalIdentity.js';
import { createLogger } from '../../platform/runtime/logger.js';
import { onShutdown } from '../../platform/runtime/shutdown.js';
import { startTracing } from '../../platform/runtime/tracing.js';
import { startSubgraph } from '../../platform/subgraph.js';
import { portOf, loadSubgraphEnv, settingsOf } from '../env.js';
import { subgraphs } from '../registry.js';

/** Runs one subgraph alone, as its container does: `node dist/subgraphs/commands/service.js NAME`. */
const name = process.argv[2];
const def = subgraphs.find((s) => s.name === name);
if (!def) {
  console.error(`usage: service.js <${subgraphs.map((s) => s.name).join('|')}>`);
  process.exit(2);
}
const env = loadSubgraphEnv();
const log = createLogger(def.name, env.LOG_LEVEL);
if (!env.DATABASE_URL) {
  log.fatal('DATABASE_URL is required when a subgraph runs alone (npm start embeds PostgreSQL)');
  process.exit(2);
}
const tracing = startTracing(`dpv-${def.name}`, env.OTEL_EXPORTER_OTLP_ENDPOINT);
const subgraph = await startSubgraph(def, {
  databaseUrl: env.DATABASE_URL,
  host: env.HOST,
  port: portOf(env, def),
  log,
  seedWhenEmpty: env.SEED_DEMO_DATA,
  production: env.NODE_ENV === 'production',
  identity: internalIdentityFrom(env),
  peers: env.PEER_URLS,
  settings: settingsOf(env, def),
});
onShutdown(log, [() => subgraph.close(), async () => tracing?.shutdown()]);
