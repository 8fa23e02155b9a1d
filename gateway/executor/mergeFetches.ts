import {
  Kind,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type {
  FetchNode,
  FlattenNode,
  PlanNode,
  QueryPlan,
  QueryPlanSelectionNode,
} from './planTypes.js';

/**
 * Folds an entity fetch into the fetch before it when both go to the same subgraph and the
 * second only needs what the first already returns: Hive's planner fetches the fields a
 * `@requires` needs in a fetch of their own (`_entities` on the objects the previous fetch of
 * that same subgraph just returned), where the subgraph could have answered them in that
 * previous fetch. The merged fetch selects the second's fields at its path, so the answer is
 * the same with one round trip fewer.
 *
 * Only the plain case is merged, everything else is left as planned: the two are neighbours in
 * a Sequence, the second's path extends the first's by fields alone, the second's representation
 * is `__typename` plus fields the first selects at that path, neither rewrites data, the second
 * uses no variable but its representations, and the target field is found exactly once.
 */
export function mergeLocalFollowUps(plan: QueryPlan): QueryPlan {
  if (!plan.node) return plan;
  if (plan.node.kind === 'Subscription') {
    const rest = plan.node.rest && mergeIn(plan.node.rest);
    return { ...plan, node: { ...plan.node, rest } };
  }
  return { ...plan, node: mergeIn(plan.node) };
}

function mergeIn(node: PlanNode): PlanNode {
  switch (node.kind) {
    case 'Sequence': {
      const nodes: PlanNode[] = [];
      for (const child of node.nodes.map(mergeIn)) {
        const previous = nodes[nodes.length - 1];
        const merged = previous && merge(previous, child);
        if (merged) nodes[nodes.length - 1] = merged;
        else nodes.push(child);
      }
      return nodes.length === 1 ? nodes[0]! : { ...node, nodes };
    }
    case 'Parallel':
      return { ...node, nodes: node.nodes.map(mergeIn) };
    case 'Flatten':
      return { ...node, node: mergeIn(node.node) };
    case 'Condition':
      return {
        ...node,
        ifClause: node.ifClause && mergeIn(node.ifClause),
        elseClause: node.elseClause && mergeIn(node.elseClause),
      };
    default:
      return node;
  }
}

/** `first` with `second` folded in, or undefined when they are not the plain case. */
function merge(first: PlanNode, second: PlanNode): PlanNode | undefined {
  const a = first.kind === 'Flatten' ? first.node : first;
  const aPath = first.kind === 'Flatten' ? first.path : [];
  if (a.kind !== 'Fetch' || second.kind !== 'Flatten' || second.node.kind !== 'Fetch') return;
  const b = second.node;
  if (a.serviceName !== b.serviceName || a.operationKind !== 'query') return;
  if (b.operationKind !== 'query' || !b.requires) return;
  if (a.inputRewrites?.length || a.outputRewrites?.length) return;
  if (b.inputRewrites?.length || b.outputRewrites?.length) return;
  if ((b.variableUsages ?? []).length > 0) return;
  if (second.path.length <= aPath.length) return;
  if (aPath.some((segment, i) => second.path[i] !== segment)) return;
  const rest = second.path.slice(aPath.length).filter((segment) => segment !== '@');
  if (rest.length === 0) return;
  if (rest.some((segment) => typeof segment !== 'string' || segment.startsWith('... on '))) return;

  const aDocument = parseSafely(a.operation);
  const bDocument = parseSafely(b.operation);
  if (!aDocument || !bDocument) return;
  const aOperation = operationOf(aDocument);
  const bEntities = entitiesField(bDocument);
  if (!aOperation || !bEntities?.selectionSet) return;
  // Named fragments of the second would have to move too; Hive names them a, b, … in each.
  if (bDocument.definitions.some((d) => d.kind === Kind.FRAGMENT_DEFINITION)) return;

  let start: SelectionSetNode | undefined = aOperation.selectionSet;
  if (a.requires) start = entitiesField(aDocument)?.selectionSet;
  let target = start;
  for (const name of rest as string[]) target = target && onlyField(target, name)?.selectionSet;
  if (!target || !requiresAreSelected(b.requires, target)) return;

  (target.selections as SelectionNode[]).push(...bEntities.selectionSet.selections);
  const fetch: FetchNode = { ...a, operation: print(aDocument) };
  return first.kind === 'Flatten' ? ({ ...first, node: fetch } as FlattenNode) : fetch;
}

function parseSafely(source: string): DocumentNode | undefined {
  try {
    return parse(source, { noLocation: true });
  } catch {
    return undefined;
  }
}

function operationOf(document: DocumentNode): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  return operations.length === 1 ? operations[0] : undefined;
}

/** The `_entities` root field of an entity fetch. */
function entitiesField(document: DocumentNode): FieldNode | undefined {
  const root = operationOf(document)?.selectionSet.selections;
  if (root?.length !== 1 || root[0]!.kind !== Kind.FIELD) return;
  return root[0]!.name.value === '_entities' ? root[0] : undefined;
}

/**
 * The one field answering under `responseName` in `set` (directly or in inline fragments), or
 * undefined when there is none, more than one, or a fragment spread that could hold another.
 */
function onlyField(set: SelectionSetNode, responseName: string): FieldNode | undefined {
  const found: FieldNode[] = [];
  const visit = (s: SelectionSetNode): boolean => {
    for (const selection of s.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) return false;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!visit(selection.selectionSet)) return false;
      } else if ((selection.alias ?? selection.name).value === responseName) {
        found.push(selection);
      }
    }
    return true;
  };
  return visit(set) && found.length === 1 ? found[0] : undefined;
}

/** Whether each field the representation needs (`__typename` aside) is selected, unaliased. */
function requiresAreSelected(
  requires: readonly QueryPlanSelectionNode[],
  target: SelectionSetNode,
): boolean {
  const selected = new Set<string>();
  const collect = (s: SelectionSetNode): void => {
    for (const selection of s.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet);
      else if (selection.kind === Kind.FIELD && !selection.alias && !selection.selectionSet) {
        selected.add(selection.name.value);
      }
    }
  };
  collect(target);
  return requires.every(
    (r) =>
      r.kind === 'InlineFragment' &&
      r.selections.every(
        (s) =>
          s.kind === 'Field' &&
          !s.selections &&
          !('readFrom' in s) &&
          (s.name === '__typename' || selected.has(s.name)),
      ),
  );
}
