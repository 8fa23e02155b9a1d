import { z } from 'zod';
import { commonEnv, port } from '../platform/env.js';

export const gatewayEnv = commonEnv.extend({
  /** Port of the gateway's HTTP endpoint. */
  PORT: port(4000),
  /** The composed supergraph the gateway executes. */
  SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
  /**
   * Where each subgraph listens, as `name=url` pairs separated by commas; a subgraph left out is
   * reached at the URL composed into the supergraph.
   */
  SUBGRAPH_URLS: z
    .string()
    .default('')
    .transform((raw, ctx) => {
      const urls: Record<string, string> = {};
      for (const pair of raw
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [name, url] = pair.split('=', 2);
        if (!name || !url || !URL.canParse(url)) {
          ctx.addIssue({ code: 'custom', message: `expected name=url, got "${pair}"` });
          return z.NEVER;
        }
        urls[name] = url;
      }
      return urls;
    }),
  /** How long the gateway waits for one subgraph request, in milliseconds. */
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});

export type GatewayEnv = z.output<typeof gatewayEnv>;
