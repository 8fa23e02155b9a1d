import { gatewayConfig as stock } from './hive.config.mjs';

/**
 * As hive.config.mjs, with the sharing of identical in-flight subgraph requests turned off
 * (`npm run bench:gateway -- --hive-dedupe off`). Hive Gateway's HTTP transport does that
 * sharing by default, across client requests: under a load of identical queries most subgraph
 * fetches are shared, which the other two gateways do not do.
 */
export const gatewayConfig = {
  ...stock,
  transportEntries: { '*': { options: { deduplicateInflightRequests: false } } },
};
