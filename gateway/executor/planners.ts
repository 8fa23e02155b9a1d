import { createRequire } from 'node:module';
import {
  GraphQLError,
  Kind,
  print,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import { operationFromDocument, type Schema, type Supergraph } from '@apollo/federation-internals';
import { QueryPlanner as ApolloQueryPlanner } from '@apollo/query-planner';
import type * as Hive from '@graphql-hive/router-query-planner';
import type { Logger } from '../../platform/runtime/logger.js';
import { translateHivePlan, UntranslatablePlan } from './hivePlan.js';
import { mergeLocalFollowUps } from './mergeFetches.js';
import type { QueryPlan } from './planTypes.js';

/** The query planners the gateway can plan with. */
export const QUERY_PLANNERS = ['hive', 'apollo'] as const;
export type QueryPlannerName = (typeof QUERY_PLANNERS)[number];

/** Plans one operation of a document into the runner's plan form. */
export interface PlannerBackend {
  readonly name: QueryPlannerName;
  plan(document: DocumentNode, operation: OperationDefinitionNode): QueryPlan;
}

/** Apollo's query planner (@apollo/query-planner), with `@defer` planned into Defer nodes. */
export class ApolloPlanner implements PlannerBackend {
  readonly name = 'apollo';
  private readonly planner: ApolloQueryPlanner;

  constructor(
    supergraph: Supergraph,
    private readonly apiSchema: Schema,
  ) {
    this.planner = new ApolloQueryPlanner(supergraph, {
      incrementalDelivery: { enableDefer: true },
    });
  }

  plan(document: DocumentNode, operation: OperationDefinitionNode): QueryPlan {
    // Apollo's nodes are the runner's (BatchFetch aside, which Apollo never makes).
    return this.planner.buildQueryPlan(
      operationFromDocument(this.apiSchema, document, { operationName: operation.name?.value }),
    ) as QueryPlan;
  }
}

type HiveModule = typeof Hive;
let hiveModule: HiveModule | Error | undefined;

/** The addon, or why it cannot load here (no binary for the platform: Windows, musl). */
export function loadHive(): HiveModule | Error {
  if (!hiveModule) {
    try {
      hiveModule = createRequire(import.meta.url)(
        '@graphql-hive/router-query-planner',
      ) as HiveModule;
    } catch (err) {
      hiveModule = err instanceof Error ? err : new Error(String(err));
    }
  }
  return hiveModule;
}

/**
 * Hive Router's query planner (the Rust addon @graphql-hive/router-query-planner). Operations
 * with `@defer` go to Apollo's planner: Hive's (0.0.38) inlines deferred fragments, and the
 * runner streams Defer nodes. So does a plan whose shape the translation does not know.
 */
export class HivePlanner implements PlannerBackend {
  readonly name = 'hive';
  private readonly planner: Hive.QueryPlanner;
  private apollo?: ApolloPlanner;
  private static readonly NO_LABELS = new Set<string>();

  constructor(
    module: HiveModule,
    sdl: string,
    private readonly apolloPlanner: () => ApolloPlanner,
    private readonly log?: Logger,
  ) {
    this.planner = new module.QueryPlanner(sdl);
  }

  plan(document: DocumentNode, operation: OperationDefinitionNode): QueryPlan {
    if (hasDefer(document)) return this.fallback().plan(document, operation);
    const planned = withoutRootIntrospection(document, operation);
    if (!planned) return { kind: 'QueryPlan' };
    let plan: Hive.QueryPlan;
    try {
      plan = this.planner.plan(print(planned), operation.name?.value, HivePlanner.NO_LABELS, 0);
    } catch (err) {
      throw new GraphQLError(
        `The operation cannot be planned: ${err instanceof Error ? err.message : String(err)}`,
        { extensions: { code: 'QUERY_PLANNING_FAILED' } },
      );
    }
    try {
      return mergeLocalFollowUps(translateHivePlan(plan));
    } catch (err) {
      if (!(err instanceof UntranslatablePlan)) throw err;
      this.log?.warn({ reason: err.message }, "planned with Apollo's planner");
      return this.fallback().plan(document, operation);
    }
  }

  private fallback(): ApolloPlanner {
    return (this.apollo ??= this.apolloPlanner());
  }
}

/** The planner `name`, or Apollo's (with a warning) when Hive's addon cannot load here. */
export function createPlannerBackend(
  name: QueryPlannerName,
  sdl: string,
  supergraph: Supergraph,
  apiSchema: Schema,
  log?: Logger,
): PlannerBackend {
  const apollo = () => new ApolloPlanner(supergraph, apiSchema);
  if (name === 'apollo') return apollo();
  const module = loadHive();
  if (module instanceof Error) {
    log?.warn(
      { err: module.message, platform: `${process.platform}-${process.arch}` },
      "Hive Router's query planner cannot load here: planning with Apollo's",
    );
    return apollo();
  }
  return new HivePlanner(module, sdl, apollo, log);
}

function hasDefer(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'defer') found = true;
    },
  });
  return found;
}

const INTROSPECTION = new Set(['__schema', '__type', '__typename']);

/**
 * The document without root `__schema`, `__type` and `__typename` (the executor answers them;
 * Hive's planner cannot plan the first two), or undefined when nothing is left to fetch.
 */
function withoutRootIntrospection(
  document: DocumentNode,
  operation: OperationDefinitionNode,
): DocumentNode | undefined {
  let changed = false;
  const rootFragments = new Set<string>();
  // Fragments spread at the root are root selections too: followed once each.
  const filter = (set: SelectionSetNode): SelectionSetNode => {
    const selections = set.selections.flatMap<SelectionNode>((s) => {
      if (s.kind === Kind.FIELD) {
        if (!INTROSPECTION.has(s.name.value)) return [s];
        changed = true;
        return [];
      }
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const inner = filter(s.selectionSet);
        if (inner.selections.length === 0) return [];
        return [inner === s.selectionSet ? s : { ...s, selectionSet: inner }];
      }
      rootFragments.add(s.name.value);
      return [s];
    });
    return changed || selections.length !== set.selections.length ? { ...set, selections } : set;
  };
  const rootSet = filter(operation.selectionSet);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const rewritten = new Map<string, FragmentDefinitionNode | null>();
  const pending = [...rootFragments];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const fragment = fragments.get(name);
    if (!fragment || rewritten.has(name)) continue;
    const before = rootFragments.size;
    const set = filter(fragment.selectionSet);
    if (rootFragments.size !== before) pending.push(...rootFragments);
    rewritten.set(name, set.selections.length === 0 ? null : { ...fragment, selectionSet: set });
  }
  if (!changed) return document;
  // A fragment left empty cannot be spread: its spreads go too.
  const empty = new Set([...rewritten].filter(([, f]) => f === null).map(([n]) => n));
  const dropEmpty = (set: SelectionSetNode): SelectionSetNode => ({
    ...set,
    selections: set.selections.flatMap<SelectionNode>((s) => {
      if (s.kind === Kind.FRAGMENT_SPREAD) return empty.has(s.name.value) ? [] : [s];
      if (s.kind === Kind.INLINE_FRAGMENT) {
        const inner = dropEmpty(s.selectionSet);
        return inner.selections.length === 0 ? [] : [{ ...s, selectionSet: inner }];
      }
      return [s];
    }),
  });
  const root = dropEmpty(rootSet);
  if (root.selections.length === 0) return undefined;
  return {
    ...document,
    definitions: document.definitions.flatMap<DefinitionNode>((d) => {
      if (d === operation) return [{ ...operation, selectionSet: root }];
      if (d.kind === Kind.OPERATION_DEFINITION) return [];
      if (d.kind !== Kind.FRAGMENT_DEFINITION) return [d];
      const r = rewritten.get(d.name.value);
      if (r === null) return [];
      return [r ? { ...r, selectionSet: dropEmpty(r.selectionSet) } : d];
    }),
  };
}
