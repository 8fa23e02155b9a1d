import { SubgraphClient } from './subgraphClient.js';

/**
 * The gateway's subgraph clients, one per subgraph name and URL, shared by the generations that
 * name the same subgraph at the same URL (a reload keeps its keep-alive pools). A client that the
 * current generation no longer uses is closed once requests of the older generation have had time
 * to finish.
 */
export class SubgraphClients {
  private readonly clients = new Map<string, SubgraphClient>();
  private readonly retiring = new Set<NodeJS.Timeout>();
  private readonly closing = new Set<SubgraphClient>();

  constructor(
    /** Deadline of one subgraph request, by subgraph name. */
    private readonly timeoutMs: (subgraph: string) => number,
  ) {}

  /** The client of subgraph `name` at `url`, made on first use. */
  get(name: string, url: string): SubgraphClient {
    const key = `${name} ${url}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new SubgraphClient(name, url, { timeoutMs: this.timeoutMs(name) });
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Closes, after `graceMs`, the clients that `current` does not use: undici lets a closing pool
   * finish what it has, and the grace lets a request of the older generation send its later fetches.
   */
  retain(current: Iterable<SubgraphClient>, graceMs: number): void {
    const kept = new Set(current);
    for (const [key, client] of this.clients) {
      if (kept.has(client)) continue;
      this.clients.delete(key);
      this.closing.add(client);
      const timer = setTimeout(() => {
        this.retiring.delete(timer);
        this.closing.delete(client);
        void client.close();
      }, graceMs);
      timer.unref();
      this.retiring.add(timer);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.retiring) clearTimeout(timer);
    this.retiring.clear();
    const all = [...this.clients.values(), ...this.closing];
    this.clients.clear();
    this.closing.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
