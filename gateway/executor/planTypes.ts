import type {
  DeferredNode as ApolloDeferredNode,
  FetchDataRewrite,
  FetchNode,
  QueryPlanSelectionNode,
  ResponsePath,
} from '@apollo/query-planner';

/**
 * The plans the runner executes: Apollo's plan nodes as they are (both planners' plans are
 * translated into them, see planners.ts), plus a `BatchFetch` node. In a Flatten path a step
 * `... on A|B` keeps only objects whose `__typename` is one of the names (Hive's type conditions).
 */
export type { FetchDataRewrite, FetchNode, QueryPlanSelectionNode, ResponsePath };

export type PlanNode =
  | FetchNode
  | BatchFetchNode
  | SequenceNode
  | ParallelNode
  | FlattenNode
  | ConditionNode
  | DeferNode;

export interface QueryPlan {
  kind: 'QueryPlan';
  node?: PlanNode | SubscriptionNode;
}

export interface SequenceNode {
  kind: 'Sequence';
  nodes: PlanNode[];
}

export interface ParallelNode {
  kind: 'Parallel';
  nodes: PlanNode[];
}

export interface FlattenNode {
  kind: 'Flatten';
  path: ResponsePath;
  node: PlanNode;
}

export interface ConditionNode {
  kind: 'Condition';
  condition: string;
  ifClause?: PlanNode;
  elseClause?: PlanNode;
}

/** Apollo's DeferNode, with children of this union. */
export interface DeferNode {
  kind: 'Defer';
  primary: { subselection?: string; node?: PlanNode };
  deferred: DeferredNode[];
}

export interface DeferredNode extends Omit<ApolloDeferredNode, 'node'> {
  node?: PlanNode;
}

export interface SubscriptionNode {
  kind: 'Subscription';
  primary: FetchNode;
  rest?: PlanNode;
}

/**
 * One `_entities` request for several sets of entities: each alias is an `_entities` field with
 * its own representations variable, filled from the objects at its paths (below the node's
 * cursor), and its answers merged back into them.
 */
export interface BatchFetchNode {
  kind: 'BatchFetch';
  serviceName: string;
  operation: string;
  operationName: string | undefined;
  operationKind: FetchNode['operationKind'];
  variableUsages?: string[];
  entityBatch: EntityBatch[];
}

export interface EntityBatch {
  alias: string;
  representationsVariableName: string;
  paths: ResponsePath[];
  requires: QueryPlanSelectionNode[];
  inputRewrites?: FetchDataRewrite[];
  outputRewrites?: FetchDataRewrite[];
}

/**
 * A representation field read from the data under another response key than the one it is sent
 * under. Hive's planner fetches a field that a `@requires` needs with other arguments than the
 * query's under an alias of its own (`_internal_qp_alias_0: comments(limit: 3)`), and sends it
 * to the requiring subgraph under the field's name (`comments`).
 */
export interface RenamedRequiresField {
  readonly kind: 'Field';
  /** The key in the representation, the field's name in the requiring subgraph's fieldset. */
  readonly name: string;
  readonly alias?: undefined;
  /** The response key in the data that holds the value. */
  readonly readFrom: string;
  readonly selections?: QueryPlanSelectionNode[];
}
