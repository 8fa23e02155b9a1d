import {
  Kind,
  OperationTypeNode,
  executeSync,
  valueFromAST,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { Supergraph } from '@apollo/federation-internals';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../../platform/runtime/logger.js';
import { createPlannerBackend, type PlannerBackend, type QueryPlannerName } from './planners.js';
import type { PlanNode, QueryPlan, SubscriptionNode } from './planTypes.js';
import { Shape, type ConditionValues } from './shape.js';

/** One operation, planned and ready to execute: cached by its hash and name. */
export interface PreparedOperation {
  plan: QueryPlan;
  kind: OperationTypeNode;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  rootType: GraphQLObjectType;
  /** Variables that `@skip`/`@include` or a plan condition read, with their defaults. */
  conditionVariables: { name: string; defaultValue: unknown }[];
  /** The response shape, one per combination of condition values. */
  shapes: Map<string, Shape>;
  /** Length of the document's text (what the plan cache weighs). */
  documentLength: number;
}

/** Characters of document text whose plans are kept, over all plans. */
const MAX_PLANNED_CHARACTERS = 4 * 1024 * 1024;

export interface PlannerOptions {
  /** Prepared plans kept. @default 1000 */
  maxPlans?: number;
  /** Whose query planner plans (Apollo's where Hive's addon cannot load). @default 'hive' */
  queryPlanner?: QueryPlannerName;
  log?: Logger;
}

/**
 * Plans operations with Hive Router's or Apollo's query planner over a static supergraph and
 * keeps the prepared plans in a bounded LRU keyed by the operation's hash and name.
 */

export class Planner {
  readonly supergraph: Supergraph;
  /** The schema clients see (graphql-js, with `@defer`). */
  readonly schema: GraphQLSchema;
  /** The supergraph as graphql-js sees it: type conditions of representations and rewrites. */
  readonly supergraphSchema: GraphQLSchema;
  /** The query planner in use. */
  readonly backend: PlannerBackend;
  private readonly cache: LRUCache<string, PreparedOperation>;

  constructor(supergraphSdl: string, options: PlannerOptions = {}) {
    const { maxPlans = 1000, queryPlanner = 'hive', log } = options;
    // Bounded by count and by the documents' length too: a plan grows with its document, and
    // documents come from clients (up to the document size limit each).
    this.cache = new LRUCache({
      max: maxPlans,
      maxSize: MAX_PLANNED_CHARACTERS,
      sizeCalculation: (p) => Math.max(1, p.documentLength),
    });
    this.supergraph = Supergraph.build(supergraphSdl);
    const apiSchema = this.supergraph.apiSchema();
    this.schema = apiSchema.toGraphQLJSSchema({ includeDefer: true });
    this.supergraphSchema = this.supergraph.schema.toGraphQLJSSchema();
    this.backend = createPlannerBackend(
      queryPlanner,
      supergraphSdl,
      this.supergraph,
      apiSchema,
      log,
    );
  }

  /** The prepared operation for `document`, planned on first use. */
  prepare(
    key: string,
    document: DocumentNode,
    operationName: string | undefined,
  ): PreparedOperation {
    let prepared = this.cache.get(key);
    if (!prepared) {
      prepared = this.plan(document, operationName);
      this.cache.set(key, prepared);
    }
    return prepared;
  }

  get cachedPlans(): number {
    return this.cache.size;
  }

  private plan(document: DocumentNode, operationName: string | undefined): PreparedOperation {
    const operation = document.definitions.find(
      (d): d is OperationDefinitionNode =>
        d.kind === Kind.OPERATION_DEFINITION &&
        (operationName === undefined || d.name?.value === operationName),
    );
    if (!operation) throw new Error(`Unknown operation ${operationName ?? '(anonymous)'}`);
    const fragments: Record<string, FragmentDefinitionNode> = Object.create(null);
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION)
        fragments[definition.name.value] = definition;
    }
    const plan = this.backend.plan(document, operation);
    const rootType = this.schema.getRootType(operation.operation);
    if (!rootType) throw new Error(`The schema has no ${operation.operation} type`);
    return {
      plan,
      kind: operation.operation,
      operation,
      fragments,
      rootType,
      conditionVariables: conditionVariablesOf(this.schema, document, operation, plan),
      shapes: new Map(),
      documentLength: document.loc?.end ?? JSON.stringify(document).length,
    };
  }

  /**
   * The response shape of `prepared` for these condition values; without its deferred fragments
   * for the first part of an incremental answer.
   */
  shapeOf(
    prepared: PreparedOperation,
    conditions: ConditionValues,
    excludeDeferred = false,
  ): Shape {
    let key = excludeDeferred ? 'd' : '';
    for (const { name } of prepared.conditionVariables)
      key += conditions[name] === true ? '1' : '0';
    let shape = prepared.shapes.get(key);
    if (!shape) {
      shape = new Shape(
        this.schema,
        prepared.fragments,
        conditions,
        prepared.rootType,
        [prepared.operation.selectionSet],
        excludeDeferred,
      );
      prepared.shapes.set(key, shape);
    }
    return shape;
  }

  /** Answers root introspection fields (`__schema`, `__type`) with graphql-js. */
  introspect(
    prepared: PreparedOperation,
    nodes: FieldNode[],
    variables: Readonly<Record<string, unknown>> | undefined,
  ): unknown {
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [
        {
          kind: Kind.OPERATION_DEFINITION,
          operation: OperationTypeNode.QUERY,
          variableDefinitions: prepared.operation.variableDefinitions,
          selectionSet: { kind: Kind.SELECTION_SET, selections: nodes },
        },
        ...Object.values(prepared.fragments),
      ],
    };
    const result = executeSync({ schema: this.schema, document, variableValues: variables });
    const name = nodes[0]!.alias?.value ?? nodes[0]!.name.value;
    return (result.data as Record<string, unknown> | null | undefined)?.[name] ?? null;
  }
}

/** The condition values of one request: given booleans over defaults. */
export function conditionsOf(
  prepared: PreparedOperation,
  variables: Readonly<Record<string, unknown>> | undefined,
): ConditionValues {
  if (prepared.conditionVariables.length === 0) return EMPTY;
  const values: Record<string, unknown> = {};
  for (const { name, defaultValue } of prepared.conditionVariables) {
    const given = variables?.[name];
    values[name] = given === undefined ? defaultValue : given;
  }
  return values;
}

const EMPTY: ConditionValues = Object.freeze({});

function conditionVariablesOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  plan: QueryPlan,
): { name: string; defaultValue: unknown }[] {
  const names = new Set<string>();
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      for (const arg of node.arguments ?? []) {
        if (arg.value.kind === Kind.VARIABLE) names.add(arg.value.name.value);
      }
    },
  });
  collectPlanConditions(plan.node, names);
  const boolean = schema.getType('Boolean') as never;
  return [...names].sort().map((name) => {
    const definition = operation.variableDefinitions?.find((d) => d.variable.name.value === name);
    const defaultValue = definition?.defaultValue
      ? valueFromAST(definition.defaultValue, boolean)
      : undefined;
    return { name, defaultValue };
  });
}

function collectPlanConditions(node: PlanNode | SubscriptionNode | undefined, into: Set<string>) {
  if (!node) return;
  switch (node.kind) {
    case 'Sequence':
    case 'Parallel':
      for (const child of node.nodes) collectPlanConditions(child, into);
      break;
    case 'Flatten':
      collectPlanConditions(node.node, into);
      break;
    case 'Condition':
      into.add(node.condition);
      collectPlanConditions(node.ifClause, into);
      collectPlanConditions(node.elseClause, into);
      break;
    case 'Defer':
      collectPlanConditions(node.primary.node, into);
      for (const deferred of node.deferred) collectPlanConditions(deferred.node, into);
      break;
    case 'Subscription':
      collectPlanConditions(node.rest, into);
      break;
    case 'Fetch':
    case 'BatchFetch':
      break;
  }
}
