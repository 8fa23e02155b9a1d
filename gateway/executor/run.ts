import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { BatchFetchNode, FetchNode, PlanNode, ResponsePath } from './planTypes.js';
import {
  applyRewrites,
  copyJson,
  deepMerge,
  isJsonObject,
  objectsAt,
  pathsAt,
  selectRequires,
  type JsonObject,
} from './data.js';
import type { ConditionValues } from './shape.js';
import type { EntityBatcher } from './entityBatch.js';
import {
  parseResponse,
  type CachePolicy,
  type SubgraphClient,
  type SubgraphError,
  type SubgraphFetch,
} from './subgraphClient.js';

/** Everything one request's plan execution reads and writes. */
export interface RunState {
  clients: ReadonlyMap<string, SubgraphClient>;
  supergraphSchema: GraphQLSchema;
  /** Headers of every subgraph request of this operation. */
  headers: Record<string, string>;
  variables: Readonly<Record<string, unknown>>;
  conditions: ConditionValues;
  /** The response being assembled. */
  data: JsonObject;
  errors: GraphQLError[];
  /** Identical requests under way, by subgraph and body: sent once, parsed by each user. */
  inflight: Map<string, Promise<SubgraphFetch>>;
  /**
   * Identical queries under way for any request of the same caller, shared across requests
   * (mutations never are). Keyed also by `caller`.
   */
  shared?: Map<string, Promise<SubgraphFetch>>;
  /** Who the subgraphs see as the caller: requests of different callers never share a fetch. */
  caller?: string;
  /** Completion of fetches with an id, for deferred nodes that depend on them. */
  done: Map<string, Promise<void>>;
  /**
   * Gathers `_entities` fetches with those of other operations of the same caller (subscription
   * events) into one request per tick; absent, each fetch is its own request.
   */
  batcher?: EntityBatcher;
  /** True once the client has gone: no further fetch starts (those under way finish). */
  gone?: () => boolean;
  /**
   * The cache policy of the answer so far: the most restrictive of its fetches' policies (the
   * least max-age, PRIVATE over PUBLIC); null once one fetch was not cacheable, undefined
   * while none has answered.
   */
  cachePolicy?: CachePolicy | null;
  /** Called after every subgraph request. */
  onFetch?: (subgraph: string, seconds: number, error: GraphQLError | undefined) => void;
}

/** Where a node runs: the objects at a response path (with `@` for list elements). */
interface Cursor {
  path: ResponsePath;
  objects: JsonObject[];
}

/** Runs a plan node against the response in `state.data`. */
export function runPlan(state: RunState, node: PlanNode): Promise<void> {
  return run(state, node, { path: [], objects: [state.data] });
}

async function run(state: RunState, node: PlanNode, cursor: Cursor): Promise<void> {
  switch (node.kind) {
    case 'Fetch':
      if (state.gone?.()) return;
      return fetchNode(state, node, cursor);
    case 'BatchFetch':
      return batchFetch(state, node, cursor).catch((err: unknown) => fetchFailed(state, node, err));
    case 'Sequence':
      for (const child of node.nodes) await run(state, child, cursor);
      return;
    case 'Parallel':
      await Promise.all(node.nodes.map((child) => run(state, child, cursor)));
      return;
    case 'Flatten': {
      const objects: JsonObject[] = [];
      for (const object of cursor.objects) objectsAt(object, node.path, 0, objects);
      if (objects.length === 0) return;
      return run(state, node.node, { path: [...cursor.path, ...node.path], objects });
    }
    case 'Condition': {
      const branch = state.conditions[node.condition] === true ? node.ifClause : node.elseClause;
      if (branch) await run(state, branch, cursor);
      return;
    }
    case 'Defer': {
      // Answered whole (the client asked for no incremental answer, or this is a subscription's
      // event): the deferred parts run after their dependencies, their paths from the root.
      if (node.primary.node) await run(state, node.primary.node, cursor);
      await Promise.all(
        node.deferred.map(async (deferred) => {
          await Promise.all(deferred.depends.map((d) => state.done.get(d.id)));
          if (deferred.node) await run(state, deferred.node, { path: [], objects: [state.data] });
        }),
      );
      return;
    }
  }
}

/** The fixed part of a fetch's request body, computed once per plan. */
const bodies = new WeakMap<FetchNode | BatchFetchNode, string>();

function bodyPrefix(fetch: FetchNode | BatchFetchNode): string {
  let prefix = bodies.get(fetch);
  if (prefix === undefined) {
    prefix = `{"query":${JSON.stringify(fetch.operation)}`;
    if (fetch.operationName) prefix += `,"operationName":${JSON.stringify(fetch.operationName)}`;
    prefix += ',"variables":';
    bodies.set(fetch, prefix);
  }
  return prefix;
}

function fetchNode(state: RunState, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const running = fetchInto(state, fetch, cursor).catch((err: unknown) =>
    fetchFailed(state, fetch, err),
  );
  if (fetch.id !== undefined) state.done.set(fetch.id, running);
  return running;
}

function fetchFailed(state: RunState, fetch: { serviceName: string }, err: unknown): void {
  state.errors.push(
    err instanceof GraphQLError
      ? err
      : new GraphQLError(err instanceof Error ? err.message : String(err), {
          extensions: { serviceName: fetch.serviceName },
        }),
  );
}

function variablesOf(state: RunState, fetch: FetchNode | BatchFetchNode): Record<string, unknown> {
  const variables: Record<string, unknown> = {};
  for (const name of fetch.variableUsages ?? []) {
    const value = state.variables[name];
    if (value !== undefined) variables[name] = value;
  }
  return variables;
}

async function fetchInto(state: RunState, fetch: FetchNode, cursor: Cursor): Promise<void> {
  const client = state.clients.get(fetch.serviceName);
  if (!client) throw new Error(`No subgraph named "${fetch.serviceName}"`);
  const variables = variablesOf(state, fetch);

  if (!fetch.requires) {
    const response = await send(state, client, fetch, variables);
    if (response.errors)
      reportErrors(state, fetch, response.errors, (path) => [...rootPath(cursor), ...path]);
    if (!isJsonObject(response.data)) return;
    applyRewrites(state.supergraphSchema, fetch.outputRewrites, response.data);
    for (const object of cursor.objects) deepMerge(object, response.data);
    return;
  }

  const representations: unknown[] = [];
  const targets: number[] = [];
  cursor.objects.forEach((object, index) => {
    const representation = selectRequires(state.supergraphSchema, object, fetch.requires!);
    if (isJsonObject(representation) && representation.__typename) {
      applyRewrites(state.supergraphSchema, fetch.inputRewrites, representation);
      representations.push(representation);
      targets.push(index);
    }
  });
  if (representations.length === 0) return;
  if ('representations' in variables) throw new Error('Variables cannot contain "representations"');
  let response: { data?: Record<string, unknown> | null; errors?: readonly SubgraphError[] };
  if (state.batcher && fetch.operationKind === 'query') {
    const answer = await state.batcher.entities(
      client,
      bodyPrefix(fetch),
      variables,
      state.headers,
      state.caller ?? '',
      representations,
    );
    response = { data: { _entities: answer.entities }, errors: answer.errors };
    if (answer.errors.length === 0) delete response.errors;
  } else {
    variables.representations = representations;
    response = await send(state, client, fetch, variables);
  }
  if (response.errors) {
    let paths: (string | number)[][] | undefined;
    reportErrors(state, fetch, response.errors, (path) => {
      if (path[0] !== '_entities' || typeof path[1] !== 'number') return undefined;
      paths ??= entityPaths(state, cursor);
      const target = targets[path[1]];
      const entityPath = target === undefined ? undefined : paths[target];
      return entityPath ? [...entityPath, ...path.slice(2)] : undefined;
    });
  }
  const entities = isJsonObject(response.data) ? response.data._entities : undefined;
  if (entities === undefined || entities === null) return;
  if (!Array.isArray(entities) || entities.length !== representations.length) {
    throw new GraphQLError(
      `Subgraph "${fetch.serviceName}" answered ${Array.isArray(entities) ? entities.length : 'no list of'} entities for ${representations.length} representations`,
      { extensions: { code: 'INVALID_GRAPHQL', serviceName: fetch.serviceName } },
    );
  }
  for (let i = 0; i < entities.length; i++) {
    const entity: unknown = entities[i];
    if (!isJsonObject(entity)) continue;
    const target = cursor.objects[targets[i]!]!;
    if (!entity.__typename) entity.__typename = target.__typename;
    applyRewrites(state.supergraphSchema, fetch.outputRewrites, entity);
    deepMerge(target, entity);
  }
}

/** One alias of a BatchFetch: distinct representations, each with the objects it stands for. */
interface Batch {
  representations: JsonObject[];
  /** The objects of each representation, and where the first of them came from. */
  targets: JsonObject[][];
  origins: { path: number; index: number }[];
}

/**
 * One `_entities` request for every alias of the node: the objects at each alias's paths give
 * its representations, identical ones sent once and their entity merged into each object.
 */
async function batchFetch(state: RunState, node: BatchFetchNode, cursor: Cursor): Promise<void> {
  const client = state.clients.get(node.serviceName);
  if (!client) throw new Error(`No subgraph named "${node.serviceName}"`);
  const variables = variablesOf(state, node);
  let total = 0;
  const batches = node.entityBatch.map((entity): Batch => {
    const batch: Batch = { representations: [], targets: [], origins: [] };
    const seen = new Map<string, number>();
    entity.paths.forEach((path, p) => {
      const objects: JsonObject[] = [];
      for (const object of cursor.objects) objectsAt(object, path, 0, objects);
      objects.forEach((object, index) => {
        const representation = selectRequires(state.supergraphSchema, object, entity.requires);
        if (!isJsonObject(representation) || !representation.__typename) return;
        applyRewrites(state.supergraphSchema, entity.inputRewrites, representation);
        const key = JSON.stringify(representation);
        const known = seen.get(key);
        if (known !== undefined) return void batch.targets[known]!.push(object);
        seen.set(key, batch.representations.length);
        batch.representations.push(representation);
        batch.targets.push([object]);
        batch.origins.push({ path: p, index });
      });
    });
    total += batch.representations.length;
    if (entity.representationsVariableName in variables) {
      throw new Error(`Variables cannot contain "${entity.representationsVariableName}"`);
    }
    variables[entity.representationsVariableName] = batch.representations;
    return batch;
  });
  if (total === 0) return;

  const response = await send(state, client, node, variables);
  if (response.errors) {
    reportErrors(state, node, response.errors, (path) => {
      const e = node.entityBatch.findIndex((entity) => entity.alias === path[0]);
      const origin = typeof path[1] === 'number' ? batches[e]?.origins[path[1]] : undefined;
      if (!origin) return undefined;
      const entityPath = pathsAt(state.data, [
        ...cursor.path,
        ...node.entityBatch[e]!.paths[origin.path]!,
      ])[origin.index];
      return entityPath ? [...entityPath, ...path.slice(2)] : undefined;
    });
  }
  const data = isJsonObject(response.data) ? response.data : undefined;
  node.entityBatch.forEach((entity, e) => {
    const batch = batches[e]!;
    const entities = data?.[entity.alias];
    if (entities === undefined || entities === null || batch.representations.length === 0) return;
    if (!Array.isArray(entities) || entities.length !== batch.representations.length) {
      throw new GraphQLError(
        `Subgraph "${node.serviceName}" answered ${Array.isArray(entities) ? entities.length : 'no list of'} entities for ${batch.representations.length} representations`,
        { extensions: { code: 'INVALID_GRAPHQL', serviceName: node.serviceName } },
      );
    }
    for (let i = 0; i < entities.length; i++) {
      const answer: unknown = entities[i];
      if (!isJsonObject(answer)) continue;
      const targets = batch.targets[i]!;
      if (!answer.__typename) answer.__typename = targets[0]!.__typename;
      applyRewrites(state.supergraphSchema, entity.outputRewrites, answer);
      // Each object gets its own copy: merged objects are changed in place by later fetches.
      for (let t = 1; t < targets.length; t++) deepMerge(targets[t]!, copyJson(answer));
      deepMerge(targets[0]!, answer);
    }
  });
}

/** Sends one fetch; an identical request already under way in this operation is shared. */
async function send(
  state: RunState,
  client: SubgraphClient,
  fetch: FetchNode | BatchFetchNode,
  variables: Record<string, unknown>,
) {
  const body = bodyPrefix(fetch) + JSON.stringify(variables) + '}';
  const shared = fetch.operationKind === 'query' ? state.shared : undefined;
  const inflight = shared ?? state.inflight;
  const key = `${fetch.serviceName}\n${shared ? (state.caller ?? '') : ''}\n${body}`;
  let text = inflight.get(key);
  if (!text) {
    const began = performance.now();
    text = client.fetch(body, state.headers);
    inflight.set(key, text);
    if (shared) {
      const forget = () => void shared.delete(key);
      text.then(forget, forget);
    }
    text.then(
      () => state.onFetch?.(fetch.serviceName, (performance.now() - began) / 1000, undefined),
      (err: GraphQLError) =>
        state.onFetch?.(fetch.serviceName, (performance.now() - began) / 1000, err),
    );
  }
  const answer = await text;
  restrictCachePolicy(state, answer.cachePolicy);
  // Each user parses its own copy: merging mutates the parsed objects.
  return parseResponse(fetch.serviceName, answer.text);
}

/** Narrows the answer's cache policy by one fetch's: any uncacheable fetch makes it null. */
function restrictCachePolicy(state: RunState, policy: CachePolicy | undefined): void {
  if (state.cachePolicy === null) return;
  if (!policy) {
    state.cachePolicy = null;
    return;
  }
  const so = state.cachePolicy;
  state.cachePolicy = so
    ? {
        maxAge: Math.min(so.maxAge, policy.maxAge),
        scope: so.scope === 'PUBLIC' && policy.scope === 'PUBLIC' ? 'PUBLIC' : 'PRIVATE',
      }
    : policy;
}

/** The response path of a root fetch's errors (mutations and queries run at the root). */
function rootPath(cursor: Cursor): (string | number)[] {
  return cursor.path.filter((p): p is string => p !== '@');
}

function entityPaths(state: RunState, cursor: Cursor): (string | number)[][] {
  return pathsAt(state.data, cursor.path);
}

function reportErrors(
  state: RunState,
  fetch: { serviceName: string },
  errors: readonly SubgraphError[],
  pathOf: (path: readonly (string | number)[]) => (string | number)[] | undefined,
): void {
  for (const error of errors) {
    const extensions: Record<string, unknown> = {
      ...error.extensions,
      serviceName: fetch.serviceName,
    };
    if (typeof extensions.code !== 'string') extensions.code = 'DOWNSTREAM_SERVICE_ERROR';
    state.errors.push(
      new GraphQLError(
        error.message || `Error while fetching subquery from service "${fetch.serviceName}"`,
        {
          path: Array.isArray(error.path) ? pathOf(error.path) : undefined,
          extensions,
        },
      ),
    );
  }
}
