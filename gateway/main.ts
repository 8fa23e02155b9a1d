import { loadEnv } from '../platform/runtime/env.js';
import { createLogger } from '../platform/runtime/logger.js';
import { onShutdown } from '../platform/runtime/shutdown.js';
import { startTracing } from '../platform/runtime/tracing.js';
import { gatewayOptionsFrom } from './config.js';
import { gatewayEnv } from './env.js';
import { startGateway } from './server.js';

/** Runs the gateway alone, as its container does. */
const env = loadEnv(gatewayEnv);
const log = createLogger('gateway', env.LOG_LEVEL);
const tracing = startTracing('dpv-gateway', env.OTEL_EXPORTER_OTLP_ENDPOINT);
const gateway = await startGateway(await gatewayOptionsFrom(env, log));
// SIGHUP reloads the supergraph (a changed, valid one is swapped in; see gateway/reload.ts).
process.on('SIGHUP', () => void gateway.reload('SIGHUP'));
// The drain's own time, and 5 s for the sockets and the rest, before a hung stop is cut off.
onShutdown(log, [() => gateway.close(), async () => tracing?.shutdown()], {
  timeoutMs: env.GATEWAY_DRAIN_DELAY_MS + env.GATEWAY_DRAIN_GRACE_MS + 5_000,
});
