import type {
  GatewayExecutionResult,
  GatewayGraphQLRequestContext,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  getVariableValues,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import Negotiator from 'negotiator';
import { CALLER_HEADER, REQUEST_ID_HEADER } from '../../platform/auth/internalIdentity.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { activeSpan, injectTraceContext } from '../../platform/runtime/tracing.js';
import { recordCachePolicy } from '../cacheHeaders.js';
import type { GatewayContext } from '../context.js';
import type { GatewayMetrics } from '../metrics.js';
import type { Generation } from '../generation.js';
import { conditionsOf, type PreparedOperation } from './plan.js';
import type { DeferNode, PlanNode } from './planTypes.js';
import type { JsonObject } from './data.js';
import { EntityBatcher } from './entityBatch.js';
import { runPlan, type RunState } from './run.js';
import { shapeResponse, type Shape } from './shape.js';
import { IncrementalDelivery, keepSubsequent } from './defer.js';
import type { SubgraphClients } from './subgraphClients.js';
import type { SubgraphFetch } from './subgraphClient.js';

export interface ExecutorOptions {
  /** The generation built from the supergraph read at start. */
  generation: Generation;
  /** The subgraph clients the generations use; closed when the executor stops. */
  clients: SubgraphClients;
  metrics: GatewayMetrics;
  log: Logger;
  /**
   * Share an identical subgraph query under way among concurrent requests of the same caller.
   * @default true
   */
  shareQueries?: boolean;
  /**
   * Tick (ms) over which the `_entities` fetches of subscription events are gathered into one
   * request per subgraph and caller; 0 sends each on its own. @default 2
   */
  entityBatchMs?: number;
}

/** The executor, with what the subscription side needs to run the rest of a plan per event. */
export interface FederationExecutor extends GatewayInterface {
  /** The generation new operations get. */
  readonly generation: Generation;
  /**
   * The generation whose schema is `schema` (what Apollo or the socket validated the operation
   * against), so that the operation is planned where it was validated; the current one when none.
   */
  generationOf(schema: GraphQLSchema | undefined): Generation;
  /** Makes `next` the current generation, for Apollo Server and for `onGeneration` listeners. */
  swap(next: Generation): void;
  /** Calls `listener` with each generation swapped in; returns the function that stops it. */
  onGeneration(listener: (next: Generation, previous: Generation) => void): () => void;
  /** Checks the variables and finds (or makes) the plan of an operation, by its hash `key`. */
  prepare(
    generation: Generation,
    key: string,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operationName: string | undefined,
    variables: Readonly<Record<string, unknown>>,
  ): PreparedOperation | { errors: readonly GraphQLError[] };
  /**
   * Runs `node` over `data` (empty for a query or mutation; a subscription event's data for the
   * rest of its plan) and shapes the response; `errors` are errors already in it. `prepared` was
   * planned by `generation`.
   */
  runOperation(
    generation: Generation,
    prepared: PreparedOperation,
    variables: Readonly<Record<string, unknown>>,
    headers: Record<string, string>,
    node: PlanNode | undefined,
    data?: JsonObject,
    errors?: GraphQLError[],
    /**
     * `batched`: gather its entity fetches with concurrent ones of the same caller (subscription
     * events). `context`: the request's context, where its answer's cache policy is recorded
     * (cacheHeaders.ts).
     */
    run?: { batched?: boolean; context?: object },
  ): Promise<GatewayExecutionResult>;
}

/**
 * Executes operations by Apollo's query plans with the gateway's own plan runner: undici
 * keep-alive pools per subgraph, identical fetches shared within a request, plans cached by
 * operation hash, and the response shaped by the operation. Hosted by Apollo Server as its
 * `gateway`; a reload swaps the generation (schema, planner, clients) under it.
 */
export function createExecutor(options: ExecutorOptions): FederationExecutor {
  let current = options.generation;
  /** Older generations, while an operation validated against their schema may still run. */
  const bySchema = new WeakMap<GraphQLSchema, Generation>([[current.schema, current]]);
  const generationListeners = new Set<(next: Generation, previous: Generation) => void>();
  const { metrics } = options;
  const shared = new Map<string, Promise<SubgraphFetch>>();
  const onFetch: RunState['onFetch'] = (subgraph, seconds, error) => {
    metrics.subgraphFetchDuration.observe({ subgraph }, seconds);
    if (error) {
      const code = error.extensions.code;
      metrics.subgraphErrors.inc({ subgraph, code: typeof code === 'string' ? code : 'UNKNOWN' });
    }
  };

  const batchMs = options.entityBatchMs ?? 2;
  const batcher = batchMs > 0 ? new EntityBatcher(batchMs, onFetch) : undefined;

  /** The plan's run state for one request (or one subscription event). */
  const runStateOf = (
    generation: Generation,
    variables: Readonly<Record<string, unknown>>,
    headers: Record<string, string>,
    conditions: ReturnType<typeof conditionsOf>,
    data: JsonObject,
    errors: GraphQLError[],
    batched = false,
  ): RunState => ({
    clients: generation.clients,
    supergraphSchema: generation.planner.supergraphSchema,
    headers,
    variables,
    conditions,
    data,
    errors,
    inflight: new Map(),
    shared: options.shareQueries === false ? undefined : shared,
    caller: headers[CALLER_HEADER],
    done: new Map(),
    onFetch,
    batcher: batched ? batcher : undefined,
  });

  /** Runs `node` (the whole plan, or the rest of a subscription's) and shapes the result. */
  const runOperation = async (
    generation: Generation,
    prepared: PreparedOperation,
    variables: Readonly<Record<string, unknown>>,
    headers: Record<string, string>,
    node: PlanNode | undefined,
    data: JsonObject = {},
    errors: GraphQLError[] = [],
    run: { batched?: boolean; context?: object } = {},
  ): Promise<GatewayExecutionResult> => {
    const { planner } = generation;
    const conditions = conditionsOf(prepared, variables);
    const shape = planner.shapeOf(prepared, conditions);
    if (!prepared.plan.node && shape.needsData(prepared.rootType)) {
      // The planner found no way to reach a requested field (a supergraph that composes but
      // cannot serve it): an error, not a silent null.
      return {
        data: null,
        errors: [
          new GraphQLError('The operation cannot be planned: no subgraph can resolve its fields.', {
            extensions: { code: 'QUERY_PLANNING_FAILED' },
          }),
        ],
      };
    }
    const state = runStateOf(generation, variables, headers, conditions, data, errors, run.batched);
    if (node) await runPlan(state, node);
    if (run.context) recordCachePolicy(run.context, state.cachePolicy);
    return resultOf(shape, state, prepared, planner, variables);
  };

  /**
   * Runs a plan whose root is a Defer node incrementally: answers the primary part, and keeps
   * the deferred parts for the response (`takeSubsequent`, sent by useIncrementalDelivery).
   */
  const runIncrementally = async (
    generation: Generation,
    prepared: PreparedOperation,
    variables: Readonly<Record<string, unknown>>,
    headers: Record<string, string>,
    node: DeferNode,
    context: GatewayContext,
  ): Promise<GatewayExecutionResult> => {
    const { planner } = generation;
    const conditions = conditionsOf(prepared, variables);
    const state = runStateOf(generation, variables, headers, conditions, {}, []);
    state.gone = context.gone;
    const delivery = new IncrementalDelivery(state, {
      schema: planner.schema,
      operation: prepared.operation,
      fragments: prepared.fragments,
      rootType: prepared.rootType,
      conditions,
      introspect: (nodes) => planner.introspect(prepared, nodes, variables),
    });
    await delivery.primary(node);
    const first = resultOf(
      planner.shapeOf(prepared, conditions, true),
      state,
      prepared,
      planner,
      variables,
    );
    keepSubsequent(context, delivery.deferred(node));
    return first;
  };

  /** Checks the variables and finds (or makes) the plan; errors are the client's. */
  const prepare = (
    generation: Generation,
    key: string,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    operationName: string | undefined,
    variables: Readonly<Record<string, unknown>>,
  ): PreparedOperation | { errors: readonly GraphQLError[] } => {
    if (operation.variableDefinitions?.length) {
      const { errors } = getVariableValues(
        generation.schema,
        operation.variableDefinitions,
        variables,
      );
      if (errors) return { errors };
    }
    try {
      return generation.planner.prepare(
        operationName ? `${key}\n${operationName}` : key,
        document,
        operationName,
      );
    } catch (err) {
      if (err instanceof GraphQLError) return { errors: [err] };
      throw err;
    }
  };

  const execute = async (
    request: GatewayGraphQLRequestContext<GatewayContext>,
  ): Promise<GatewayExecutionResult> => {
    const variables = request.request.variables ?? {};
    const generation = generationOf(request.schema);
    const prepared = prepare(
      generation,
      request.queryHash,
      request.document,
      request.operation,
      request.request.operationName ?? undefined,
      variables,
    );
    if ('errors' in prepared) return { errors: prepared.errors };
    const node = prepared.plan.node;
    if (node?.kind === 'Subscription') {
      return {
        errors: [
          new GraphQLError(
            'Subscriptions are served at this URL over graphql-ws, over multipart HTTP (Accept: multipart/mixed;subscriptionSpec="1.0") and over SSE (Accept: text/event-stream).',
            { extensions: { code: 'BAD_REQUEST' } },
          ),
        ],
      };
    }
    const headers = await headersOf(request.context);
    if (
      node?.kind === 'Defer' &&
      acceptsIncremental(request.request.http?.headers.get('accept') ?? undefined)
    ) {
      return runIncrementally(generation, prepared, variables, headers, node, request.context);
    }
    return runOperation(generation, prepared, variables, headers, node, {}, [], {
      context: request.context,
    });
  };

  const generationOf = (schema: GraphQLSchema | undefined): Generation =>
    schema === current.schema ? current : ((schema && bySchema.get(schema)) ?? current);

  const listeners = new Set<Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0]>();
  const announce = () => {
    for (const listener of listeners) {
      listener({ apiSchema: current.schema, coreSupergraphSdl: current.sdl });
    }
  };
  return {
    get generation() {
      return current;
    },
    generationOf,
    swap(next) {
      const previous = current;
      bySchema.set(next.schema, next);
      current = next;
      // Apollo Server takes the new schema for requests that start from now on; those under way
      // keep the schema they were validated against, and with it their generation.
      announce();
      for (const listener of generationListeners) listener(next, previous);
    },
    onGeneration(listener) {
      generationListeners.add(listener);
      return () => generationListeners.delete(listener);
    },
    prepare,
    runOperation,
    async load() {
      announce();
      return { schema: current.schema, executor: execute as never } as never;
    },
    onSchemaLoadOrUpdate(callback) {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    async stop() {
      batcher?.close();
      await options.clients.close();
    },
  };
}

const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** The headers of every subgraph request of one operation: caller, request id, trace. */
export async function headersOf(
  context: GatewayContext | undefined,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { ...BASE_HEADERS };
  if (!context?.forwardedIdentity) return headers;
  const identity = await context.forwardedIdentity();
  if (identity) headers[CALLER_HEADER] = identity;
  headers[REQUEST_ID_HEADER] = context.requestId;
  if (activeSpan()) injectTraceContext((name, value) => (headers[name] = value));
  return headers;
}

/** The shaped response of a run, its errors and value-completion reports. */
function resultOf(
  shape: Shape,
  state: RunState,
  prepared: PreparedOperation,
  planner: Generation['planner'],
  variables: Readonly<Record<string, unknown>>,
): GatewayExecutionResult {
  const shaped = shapeResponse(shape, state.data, (nodes) =>
    planner.introspect(prepared, nodes, variables),
  );
  if (state.errors.length > 0) return { data: shaped.data, errors: [...state.errors] };
  // Like @apollo/gateway: values a subgraph should not have returned are reported beside the
  // data, not as errors, when no subgraph error explains them.
  if (shaped.errors.length > 0) {
    return { data: shaped.data, extensions: { valueCompletion: shaped.errors.map(format) } };
  }
  return { data: shaped.data };
}

/** Media types Apollo Server's HTTP layer chooses among for an incremental answer. */
const INCREMENTAL_MEDIA_TYPES = [
  'multipart/mixed',
  'multipart/mixed; incrementalSpec=v0.2',
  'multipart/mixed; deferSpec=20220824',
];

/**
 * True when the client's Accept picks the deferSpec=20220824 format (what Apollo Client 4 and
 * Apollo Router speak), by the same negotiation Apollo Server's HTTP layer then makes.
 */
function acceptsIncremental(accept: string | undefined): boolean {
  if (!accept) return false;
  return (
    new Negotiator({ headers: { accept } }).mediaType(INCREMENTAL_MEDIA_TYPES) ===
    INCREMENTAL_MEDIA_TYPES[2]
  );
}

function format(error: GraphQLError) {
  return error.toJSON();
}
