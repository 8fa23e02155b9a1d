import type * as Hive from '@graphql-hive/router-query-planner';
import type { OperationTypeNode } from 'graphql';
import type {
  EntityBatch,
  FetchDataRewrite,
  FetchNode,
  PlanNode,
  QueryPlan,
  QueryPlanSelectionNode,
  RenamedRequiresField,
  ResponsePath,
} from './planTypes.js';

/** A plan the translation does not know how to run; the operation goes to Apollo's planner. */
export class UntranslatablePlan extends Error {}

/**
 * Hive Router's plan in the runner's form. Hive's plans follow Apollo's with a few differences:
 * Flatten segments are `{ Field }` / `{ TypeCondition }` objects, rewrites are `{ ValueSetter }`
 * / `{ KeyRenamer }` wrappers with `{ Key }` / `{ TypenameEquals }` segments, a subscription is
 * `Sequence [Subscription, rest]`, and `BatchFetch` asks one `_entities` per alias.
 */
export function translateHivePlan(plan: Hive.QueryPlan): QueryPlan {
  const root = plan.node;
  if (!root) return { kind: 'QueryPlan' };
  if (root.kind === 'Subscription') {
    return { kind: 'QueryPlan', node: { kind: 'Subscription', primary: fetch(root.primary) } };
  }
  if (root.kind === 'Sequence' && root.nodes[0]?.kind === 'Subscription') {
    const [first, ...rest] = root.nodes as [Hive.SubscriptionNode, ...Hive.PlanNode[]];
    const others = rest.map(node);
    return {
      kind: 'QueryPlan',
      node: {
        kind: 'Subscription',
        primary: fetch(first.primary),
        rest: others.length === 1 ? others[0] : { kind: 'Sequence', nodes: others },
      },
    };
  }
  return { kind: 'QueryPlan', node: node(root) };
}

function node(n: Hive.PlanNode): PlanNode {
  switch (n.kind) {
    case 'Fetch':
      return fetch(n);
    case 'BatchFetch':
      return {
        kind: 'BatchFetch',
        ...request(n),
        entityBatch: n.entityBatch.aliases.map((a): EntityBatch => ({
          alias: a.alias,
          representationsVariableName: a.representationsVariableName,
          paths: a.paths.map(path),
          requires: a.requires.map(selection),
          inputRewrites: rewrites(a.inputRewrites),
          outputRewrites: rewrites(a.outputRewrites),
        })),
      };
    case 'Sequence':
    case 'Parallel':
      return { kind: n.kind, nodes: n.nodes.map(node) };
    case 'Flatten':
      return { kind: 'Flatten', path: path(n.path), node: node(n.node) };
    case 'Condition':
      return {
        kind: 'Condition',
        condition: n.condition,
        ifClause: n.ifClause && node(n.ifClause),
        elseClause: n.elseClause && node(n.elseClause),
      };
    case 'Defer':
      return {
        kind: 'Defer',
        primary: {
          subselection: n.primary.subselection,
          node: n.primary.node && node(n.primary.node),
        },
        deferred: n.deferred.map((d) => ({
          depends: d.depends,
          label: d.label,
          queryPath: d.queryPath,
          subselection: d.subselection,
          node: d.node && node(d.node),
        })),
      };
    case 'Subscription':
      throw new UntranslatablePlan('A Subscription node below the root of a plan');
  }
}

function fetch(n: Omit<Hive.FetchNode, 'kind'>): FetchNode {
  return {
    kind: 'Fetch',
    ...request(n),
    requires: n.requires?.map(selection),
    inputRewrites: rewrites(n.inputRewrites),
    outputRewrites: rewrites(n.outputRewrites),
  };
}

/** What a Fetch and a BatchFetch both send. */
function request(n: Omit<Hive.FetchNode, 'kind'> | Hive.BatchFetchNode) {
  return {
    serviceName: n.serviceName,
    operation: n.operation,
    operationName: n.operationName,
    operationKind: (n.operationKind ?? 'query') as OperationTypeNode,
    variableUsages: n.variableUsages,
  };
}

function path(segments: Hive.FlattenNodePathSegment[]): ResponsePath {
  return segments.map((s) =>
    s === '@' ? '@' : 'Field' in s ? s.Field : `... on ${s.TypeCondition.join('|')}`,
  );
}

function selection(s: Hive.RequiresSelection): QueryPlanSelectionNode {
  switch (s.kind) {
    case 'Field':
      // Hive's alias here is the name the value is sent under; `name` is where the data holds it.
      if (s.alias !== undefined && s.alias !== null && s.alias !== s.name) {
        const renamed: RenamedRequiresField = {
          kind: 'Field',
          name: s.alias,
          readFrom: s.name,
          selections: s.selections?.map(selection),
        };
        return renamed as QueryPlanSelectionNode;
      }
      return { kind: 'Field', name: s.name, selections: s.selections?.map(selection) };
    case 'InlineFragment':
      if (s.skipIf !== undefined || s.includeIf !== undefined) {
        throw new UntranslatablePlan('A conditional inline fragment in a representation');
      }
      return {
        kind: 'InlineFragment',
        typeCondition: s.typeCondition,
        selections: s.selections.map(selection),
      };
    case 'FragmentSpread':
      throw new UntranslatablePlan('A fragment spread in a representation');
  }
}

function rewrites(list: Hive.FetchRewrite[] | undefined): FetchDataRewrite[] | undefined {
  return list?.map((r): FetchDataRewrite => {
    if ('KeyRenamer' in r) {
      return {
        kind: 'KeyRenamer',
        path: r.KeyRenamer.path.map(segment),
        renameKeyTo: r.KeyRenamer.renameKeyTo,
      };
    }
    const setter = 'ValueSetter' in r ? r.ValueSetter : r;
    return { kind: 'ValueSetter', path: setter.path.map(segment), setValueTo: setter.setValueTo };
  });
}

function segment(s: Hive.FetchNodePathSegment): string {
  return 'Key' in s ? s.Key : `... on ${s.TypenameEquals.join('|')}`;
}
