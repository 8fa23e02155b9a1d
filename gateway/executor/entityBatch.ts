import { GraphQLError } from 'graphql';
import { parseResponse, type SubgraphClient, type SubgraphError } from './subgraphClient.js';

/** What one caller of {@link EntityBatcher.entities} gets back: its own entities and errors. */
export interface EntityAnswer {
  /** One per representation asked, in order; null when the subgraph answered none. */
  entities: unknown[] | null;
  /** Errors of its entities (paths renumbered to its own representations) and of the whole fetch. */
  errors: SubgraphError[];
}

interface Waiter {
  /** Index in the batch's representations of each representation this caller asked. */
  slots: number[];
  resolve: (answer: EntityAnswer) => void;
  reject: (error: unknown) => void;
}

interface Open {
  client: SubgraphClient;
  prefix: string;
  variables: Record<string, unknown>;
  headers: Record<string, string>;
  representations: unknown[];
  /** Index of each distinct representation (by its JSON) in `representations`. */
  seen: Map<string, number>;
  waiters: Waiter[];
}

/**
 * Gathers the `_entities` fetches of concurrent subscription events into one request per
 * subgraph, operation, variables and caller per tick of `tickMs`: the events of a tick are
 * answered by one fetch, identical representations asked once. Batches are keyed by the
 * caller's forwarded identity (the signed token, which is the same value for the same caller
 * while it is reused), so an answer is shared only among requests of the very same identity:
 * the gateway cannot know which fields a subgraph masks per caller and never guesses.
 */
export class EntityBatcher {
  private readonly open = new Map<string, Open>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs: number,
    /** Called once per request sent, with its duration and its transport error, if any. */
    private readonly onFetch?: (
      subgraph: string,
      seconds: number,
      error: GraphQLError | undefined,
    ) => void,
  ) {}

  /**
   * The entities of `representations`, fetched with the next tick's batch of the same key.
   * `prefix` is the fixed start of the request body (query and operation name); `variables`
   * are the operation's other variables. `caller` is the identity the answer may be shared by.
   */
  entities(
    client: SubgraphClient,
    prefix: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
    caller: string,
    representations: readonly unknown[],
  ): Promise<EntityAnswer> {
    const vars = JSON.stringify(variables);
    const key = `${client.name}\n${caller}\n${prefix}\n${vars}`;
    let batch = this.open.get(key);
    if (!batch) {
      batch = {
        client,
        prefix,
        variables,
        headers,
        representations: [],
        seen: new Map(),
        waiters: [],
      };
      this.open.set(key, batch);
    }
    const slots: number[] = [];
    for (const representation of representations) {
      const json = JSON.stringify(representation);
      let slot = batch.seen.get(json);
      if (slot === undefined) {
        slot = batch.representations.length;
        batch.representations.push(representation);
        batch.seen.set(json, slot);
      }
      slots.push(slot);
    }
    this.timer ??= setTimeout(() => this.flush(), this.tickMs);
    return new Promise((resolve, reject) => batch.waiters.push({ slots, resolve, reject }));
  }

  /** Sends every open batch. */
  private flush(): void {
    this.timer = undefined;
    const batches = [...this.open.values()];
    this.open.clear();
    for (const batch of batches) void this.send(batch);
  }

  private async send(batch: Open): Promise<void> {
    const { client, waiters } = batch;
    const body =
      batch.prefix +
      JSON.stringify({ ...batch.variables, representations: batch.representations }) +
      '}';
    const began = performance.now();
    let text: string;
    try {
      text = await client.post(body, batch.headers);
      this.onFetch?.(client.name, (performance.now() - began) / 1000, undefined);
    } catch (err) {
      this.onFetch?.(client.name, (performance.now() - began) / 1000, err as GraphQLError);
      for (const w of waiters) w.reject(err);
      return;
    }
    let response;
    try {
      response = parseResponse(client.name, text);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    const data = response.data;
    const all =
      data && typeof data === 'object' ? (data as { _entities?: unknown })._entities : undefined;
    if (
      all !== undefined &&
      all !== null &&
      (!Array.isArray(all) || all.length !== batch.representations.length)
    ) {
      const error = new GraphQLError(
        `Subgraph "${client.name}" answered ${Array.isArray(all) ? all.length : 'no list of'} entities for ${batch.representations.length} representations`,
        { extensions: { code: 'INVALID_GRAPHQL', serviceName: client.name } },
      );
      for (const w of waiters) w.reject(error);
      return;
    }
    const entities = Array.isArray(all) ? all : null;
    // Errors at an entity go to the callers that asked it; others to every caller.
    const atSlot = new Map<number, SubgraphError[]>();
    const general: SubgraphError[] = [];
    for (const error of response.errors ?? []) {
      const path = error.path;
      if (Array.isArray(path) && path[0] === '_entities' && typeof path[1] === 'number') {
        const list = atSlot.get(path[1]) ?? [];
        list.push(error);
        atSlot.set(path[1], list);
      } else general.push(error);
    }
    // Each use gets its own copy: the runner merges entities into its response in place.
    const used = new Set<number>();
    const take = (slot: number): unknown => {
      if (!used.has(slot)) {
        used.add(slot);
        return entities![slot];
      }
      return structuredClone(entities![slot]);
    };
    for (const w of waiters) {
      const errors: SubgraphError[] = [...general];
      w.slots.forEach((slot, i) => {
        for (const e of atSlot.get(slot) ?? []) {
          errors.push({ ...e, path: ['_entities', i, ...(e.path ?? []).slice(2)] });
        }
      });
      const mine = entities ? w.slots.map(take) : null;
      w.resolve({ entities: mine, errors });
    }
  }

  /** Fails whatever waits for the next tick (the executor stops). */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batches = [...this.open.values()];
    this.open.clear();
    const error = new GraphQLError('The gateway is stopping', {
      extensions: { code: 'SUBGRAPH_UNAVAILABLE' },
    });
    for (const b of batches) for (const w of b.waiters) w.reject(error);
  }
}
