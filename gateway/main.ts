import { loadEnv } from '../platform/env.js';
import { createLogger } from '../platform/logger.js';
import { onShutdown } from '../platform/shutdown.js';
import { gatewayEnv } from './env.js';
import { startGateway } from './server.js';

/** Runs the gateway alone, as its container does. */
const env = loadEnv(gatewayEnv);
const log = createLogger('gateway', env.LOG_LEVEL);
const gateway = await startGateway({
  supergraphPath: env.SUPERGRAPH_PATH,
  subgraphUrls: env.SUBGRAPH_URLS,
  host: env.HOST,
  port: env.PORT,
  timeoutMs: env.SUBGRAPH_TIMEOUT_MS,
  production: env.NODE_ENV === 'production',
  log,
});
onShutdown(log, [() => gateway.close()]);
