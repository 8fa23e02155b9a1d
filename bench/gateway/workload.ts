/** The gateways the bench compares. */
export const GATEWAYS = ['ours', 'apollo', 'hive'] as const;
export type GatewayName = (typeof GATEWAYS)[number];

/** One workload: subgraphs running, a supergraph on disk, and the request the load repeats. */
export interface Workload {
  name: string;
  description: string;
  supergraphPath: string;
  /** Where each subgraph listens, by name (also written into the supergraph). */
  subgraphUrls: Record<string, string>;
  /** The JSON body every request sends. */
  body: string;
  /** What a client of `gateway` sends besides content-type; minted afresh for every run. */
  headers(gateway: GatewayName): Promise<Record<string, string>>;
  /** Why `data` is not the answer the workload expects, or undefined when it is. */
  check(data: unknown): string | undefined;
  /** Requests the subgraphs have received so far, all together. */
  fetches(): number;
  close(): Promise<void>;
}
