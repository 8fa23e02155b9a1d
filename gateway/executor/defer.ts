import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  parse,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { DeferNode, DeferredNode } from './planTypes.js';
import { isJsonObject, isObjectOfType, own, type JsonObject } from './data.js';
import { runPlan, type RunState } from './run.js';
import { Shape, shapeObject, type ConditionValues } from './shape.js';

/** One deferred fragment's data at one place of the response (deferSpec=20220824). */
export interface IncrementalItem {
  data: JsonObject | null;
  path: (string | number)[];
  label?: string;
  errors?: readonly GraphQLError[];
}

/** A part after the first: the deferred fragments done since the last part. */
export interface SubsequentResult {
  incremental?: IncrementalItem[];
  hasNext: boolean;
}

/** What shaping a deferred part needs of its operation. */
export interface DeferredShaping {
  schema: GraphQLSchema;
  operation: OperationDefinitionNode;
  fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  rootType: GraphQLCompositeType;
  conditions: ConditionValues;
  introspect: (nodes: FieldNode[]) => unknown;
}

/**
 * Incremental delivery of a plan's Defer node. The primary part runs first and is answered at
 * once; each deferred part starts when the fetches it depends on are done and goes out as soon as
 * its own fetches are, with its errors in it. A part deferred within another goes out after it.
 * Once the client has gone (`state.gone`) no further fetch starts.
 */
export class IncrementalDelivery {
  private readonly queue: IncrementalItem[] = [];
  /** Deferred parts started and not yet queued. */
  private pending = 0;
  private wake: () => void = () => {};

  constructor(
    private readonly state: RunState,
    private readonly shaping: DeferredShaping,
  ) {}

  /** Runs the primary part's fetches into `state.data`. */
  async primary(node: DeferNode): Promise<void> {
    if (node.primary.node) await runPlan(this.state, node.primary.node);
  }

  /** Starts the deferred parts (after the first part was shaped) and yields them as they end. */
  async *deferred(node: DeferNode): AsyncGenerator<SubsequentResult> {
    this.launch(node.deferred);
    for (;;) {
      while (this.queue.length === 0 && this.pending > 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
      const incremental = this.queue.splice(0);
      const hasNext = this.pending > 0;
      if (incremental.length > 0) yield { incremental, hasNext };
      else if (!hasNext) yield { hasNext: false };
      if (!hasNext) return;
    }
  }

  private launch(deferred: readonly DeferredNode[]): void {
    for (const part of deferred) {
      this.pending++;
      this.run(part).catch((err: unknown) => {
        const error =
          err instanceof GraphQLError ? err : new GraphQLError('The deferred part failed.');
        this.settle([{ data: null, path: [...part.queryPath], errors: [error] }], []);
      });
    }
  }

  private async run(part: DeferredNode): Promise<void> {
    await Promise.all(part.depends.map((d) => this.state.done.get(d.id)));
    // Its own errors: they go out in its part, not in the first one.
    const errors: GraphQLError[] = [];
    const state: RunState = { ...this.state, errors };
    let subselection = part.subselection;
    let nested: readonly DeferredNode[] = [];
    if (part.node?.kind === 'Defer') {
      if (part.node.primary.node) await runPlan(state, part.node.primary.node);
      subselection = part.node.primary.subselection;
      nested = part.node.deferred;
    } else if (part.node) {
      await runPlan(state, part.node);
    }
    if (this.state.gone?.()) return this.settle([], []);
    const items = this.items(part, subselection);
    if (errors.length > 0) {
      if (items[0]) items[0].errors = errors;
      else items.push({ data: null, path: [...part.queryPath], errors });
    }
    this.settle(items, nested);
  }

  /** Queues a finished part's items; the parts deferred within it start now. */
  private settle(items: IncrementalItem[], nested: readonly DeferredNode[]): void {
    this.launch(nested);
    this.pending--;
    this.queue.push(...items);
    this.wake();
  }

  /** The part's data at each object its query path reaches. */
  private items(part: DeferredNode, subselection: string | undefined): IncrementalItem[] {
    if (!subselection) return [];
    const { schema, fragments, conditions, introspect } = this.shaping;
    const shape = new Shape(
      schema,
      fragments,
      conditions,
      this.typeAt(part.queryPath),
      [selectionOf(subselection)],
      true,
    );
    const items: IncrementalItem[] = [];
    for (const { object, path } of placesAt(schema, this.state.data, part.queryPath)) {
      const item: IncrementalItem = {
        data: shapeObject(shape, object, path, introspect).data,
        path,
      };
      if (part.label !== undefined) item.label = part.label;
      items.push(item);
    }
    return items;
  }

  /** The static type at a deferred part's query path, found through the operation. */
  private typeAt(queryPath: readonly string[]): GraphQLCompositeType {
    const { schema, fragments, operation, rootType } = this.shaping;
    let type = rootType;
    let sets: readonly SelectionSetNode[] = [operation.selectionSet];
    for (const step of queryPath) {
      if (step.startsWith('... on ')) {
        const condition = schema.getType(step.slice('... on '.length));
        if (condition && isCompositeType(condition)) type = condition;
        continue;
      }
      const found = fieldsNamed(schema, fragments, sets, type, step);
      const first = found[0];
      if (!first) break;
      const fields = (
        isObjectType(first.scope) || isInterfaceType(first.scope) ? first.scope.getFields() : {}
      )[first.node.name.value];
      const named = fields && getNamedType(fields.type);
      if (!named || !isCompositeType(named)) break;
      type = named;
      sets = found.flatMap(({ node }) => (node.selectionSet ? [node.selectionSet] : []));
    }
    return type;
  }
}

/** Parsed subselections of the plans: the same text for every request of a plan. */
const parsed = new Map<string, SelectionSetNode>();
const MAX_PARSED = 1000;

function selectionOf(subselection: string): SelectionSetNode {
  let selection = parsed.get(subselection);
  if (!selection) {
    const document = parse(subselection);
    selection = (document.definitions[0] as OperationDefinitionNode).selectionSet;
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(subselection, selection);
  }
  return selection;
}

/** The fields of response name `name` in `sets` (through fragments), with the type they are on. */
function fieldsNamed(
  schema: GraphQLSchema,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  sets: readonly SelectionSetNode[],
  scope: GraphQLCompositeType,
  name: string,
): { node: FieldNode; scope: GraphQLCompositeType }[] {
  const found: { node: FieldNode; scope: GraphQLCompositeType }[] = [];
  const visit = (set: SelectionSetNode, within: GraphQLCompositeType) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if ((selection.alias?.value ?? selection.name.value) === name) {
          found.push({ node: selection, scope: within });
        }
        continue;
      }
      const fragment =
        selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments[selection.name.value];
      if (!fragment) continue;
      const condition = fragment.typeCondition
        ? schema.getType(fragment.typeCondition.name.value)
        : within;
      visit(fragment.selectionSet, condition && isCompositeType(condition) ? condition : within);
    }
  };
  for (const set of sets) visit(set, scope);
  return found;
}

/** The objects a query path reaches, with their response paths (list elements by index). */
function placesAt(
  schema: GraphQLSchema,
  data: JsonObject,
  queryPath: readonly string[],
): { object: JsonObject; path: (string | number)[] }[] {
  const places: { object: JsonObject; path: (string | number)[] }[] = [];
  const walk = (value: unknown, step: number, path: (string | number)[]) => {
    if (Array.isArray(value)) {
      value.forEach((element, index) => walk(element, step, [...path, index]));
      return;
    }
    if (!isJsonObject(value)) return;
    const segment = queryPath[step];
    if (segment === undefined) {
      places.push({ object: value, path });
    } else if (segment.startsWith('... on ')) {
      if (isObjectOfType(schema, value, segment.slice('... on '.length), true)) {
        walk(value, step + 1, path);
      }
    } else {
      walk(own(value, segment), step + 1, [...path, segment]);
    }
  };
  walk(data, 0, []);
  return places;
}

/** Subsequent results of incremental answers, by request context, until the plugin takes them. */
const subsequentByContext = new WeakMap<object, AsyncIterable<SubsequentResult>>();

export function keepSubsequent(context: object, results: AsyncIterable<SubsequentResult>): void {
  subsequentByContext.set(context, results);
}

/** The subsequent results of the request with this context, if its answer is incremental. */
export function takeSubsequent(context: object): AsyncIterable<SubsequentResult> | undefined {
  const results = subsequentByContext.get(context);
  subsequentByContext.delete(context);
  return results;
}
