import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createExecutor } from '../../gateway/executor.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { silent } from '../harness/graph.js';

describe('the gateway sends nothing off the machine by itself', () => {
  it("turns off @apollo/gateway's usage telemetry before creating it", () => {
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    createExecutor({
      supergraphSdl: readFileSync('schema/supergraph.graphql', 'utf8'),
      subgraphs: [],
      timeoutMs: () => 1000,
      metrics: new GatewayMetrics(),
      log: silent,
    });
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
  });
});
