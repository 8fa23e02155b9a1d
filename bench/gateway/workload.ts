/** The gateways the bench compares. */
export const GATEWAYS = ['ours', 'apollo', 'hive', 'hive-router'] as const;
export type GatewayName = (typeof GATEWAYS)[number];

/** What one load connection sends, and as whom. */
export interface CallerRequest {
  /** The JSON request body. */
  body: string;
  /** Headers besides content-type (the caller's token or signed identity). */
  headers: Record<string, string>;
}

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
  /**
   * Distinct callers: connection `i` sends `callers[i % callers.length]` (each its own caller
   * and request) instead of {@link body} and {@link headers}.
   */
  callers?(gateway: GatewayName): Promise<CallerRequest[]>;
  /** Why `data` (the answer to request `index`) is not the answer expected, or undefined. */
  check(data: unknown, index: number): string | undefined;
  /** Requests the subgraphs have received so far, all together. */
  fetches(): number;
  /** Said next to the figures, e.g. how many subgraph answers were replayed from storage. */
  note?(): string | undefined;
  close(): Promise<void>;
}
