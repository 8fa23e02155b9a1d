import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  getNamedType,
  isListType,
  isWrappingType,
  Kind,
  valueFromASTUntyped,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { ClientError, ErrorCode } from '../platform/graphql/errors.js';

/** Limits on one operation; each is checked before any subgraph is called. */
export interface OperationLimits {
  /** Deepest nesting of fields. */
  maxDepth: number;
  /** Aliased fields in the whole operation (every expansion of a fragment counts). */
  maxAliases: number;
  /** Fields selected at the root (every expansion of a fragment counts). */
  maxRootFields: number;
  /**
   * Estimated cost: every field counts 1, times the page sizes of the lists around it. A field
   * with a page argument that returns an object (a connection) counts as a list of that size.
   */
  maxCost: number;
  /** Length of the document in bytes. */
  maxDocumentBytes: number;
}

/** The page size assumed for a list field whose size neither the operation nor the schema says. */
export const DEFAULT_LIST_SIZE = 10;
const PAGE_ARGUMENTS = ['first', 'last', 'limit'] as const;

export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
}

/** What the measure needs to know of a field: read from the schema, so it knows no domain. */
export interface FieldShape {
  /** The field returns a list. */
  list: boolean;
  /** The named type it returns, null when unknown. */
  type: string | null;
  /** Its page argument (`first`, `last` or `limit`) and that argument's default, if any. */
  page?: { name: string; default: number | undefined } | undefined;
}

type Args = readonly { name: { value: string }; value: ValueNode }[];

/**
 * The measure of one selection set at multiplier 1 and depth 0. Cost is linear in the
 * multiplier, so a fragment's summary is computed once and scaled wherever it is spread.
 */
interface Summary {
  cost: number;
  depth: number;
  aliases: number;
  rootFields: number;
}

/**
 * Measures an operation in one pass over the document: each fragment is measured once (per
 * place kind: root or not, inside a page or not) and scaled by the page sizes around each spread,
 * so a document whose fragments spread each other many times costs no more than its length.
 * Depth and aliases stop the walk as soon as `stopAt` is passed (throwing OPERATION_LIMIT).
 */
export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  shapeOf: (parentType: string, field: string) => FieldShape,
  rootType: string,
  stopAt?: OperationLimits,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const defaults = new Map<string, unknown>();
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue) defaults.set(v.variable.name.value, valueFromASTUntyped(v.defaultValue));
  }
  const numberOf = (value: ValueNode): unknown => {
    if (value.kind === Kind.INT) return Number(value.value);
    if (value.kind === Kind.VARIABLE) {
      const name = value.name.value;
      const given = variables[name];
      return given !== undefined && given !== null ? given : defaults.get(name);
    }
    return undefined;
  };
  const pageSize = (shape: FieldShape, args: Args = []): number => {
    const given = args.find((a) => a.name.value === shape.page?.name);
    const v = given ? numberOf(given.value) : undefined;
    const size =
      typeof v === 'number' && Number.isFinite(v) ? v : (shape.page?.default ?? DEFAULT_LIST_SIZE);
    return Math.max(0, size);
  };

  const memo = new Map<string, Summary>();
  const inProgress = new Set<string>();
  /** `depth`: how deep the set already sits, so that depth stops the walk on the way down. */
  const summarise = (
    set: SelectionSetNode,
    type: string | null,
    depth: number,
    root: boolean,
    paged: boolean,
  ): Summary => {
    const s: Summary = { cost: 0, depth: 0, aliases: 0, rootFields: 0 };
    const add = (child: Summary, factor: number, levels: number) => {
      s.cost += factor * child.cost;
      s.depth = Math.max(s.depth, levels + child.depth);
      s.aliases += child.aliases;
      s.rootFields += child.rootFields;
      if (stopAt && s.aliases > stopAt.maxAliases)
        throw limitError('maxAliases', stopAt.maxAliases, s.aliases);
      if (stopAt && s.rootFields > stopAt.maxRootFields)
        throw limitError('maxRootFields', stopAt.maxRootFields, s.rootFields);
    };
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const name = sel.name.value;
        const fragment = fragments.get(name);
        // A cycle is a validation error; count it as nothing rather than recurse for ever.
        if (!fragment || inProgress.has(name)) continue;
        const key = `${name}\u0000${root ? 1 : 0}${paged ? 1 : 0}`;
        let summary = memo.get(key);
        if (!summary) {
          inProgress.add(name);
          // Measured from depth 0: a fragment is the same wherever it is spread.
          summary = summarise(
            fragment.selectionSet,
            fragment.typeCondition.name.value,
            0,
            root,
            paged,
          );
          inProgress.delete(name);
          memo.set(key, summary);
        }
        if (stopAt && depth + summary.depth > stopAt.maxDepth)
          throw limitError('maxDepth', stopAt.maxDepth, depth + summary.depth);
        add(summary, 1, 0);
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        add(
          summarise(sel.selectionSet, sel.typeCondition?.name.value ?? type, depth, root, paged),
          1,
          0,
        );
        continue;
      }
      const own: Summary = {
        cost: 0,
        depth: 0,
        aliases: sel.alias ? 1 : 0,
        rootFields: root ? 1 : 0,
      };
      if (sel.name.value === '__typename') {
        add(own, 1, 0);
        continue;
      }
      if (stopAt && depth + 1 > stopAt.maxDepth)
        throw limitError('maxDepth', stopAt.maxDepth, depth + 1);
      own.cost = 1;
      own.depth = 1;
      add(own, 1, 0);
      if (sel.selectionSet) {
        const shape = type ? shapeOf(type, sel.name.value) : { list: false, type: null };
        const connection = !shape.list && shape.page !== undefined;
        // Inside a page, its lists (edges, nodes) are the page the parent already counted.
        const counted = shape.list && paged && shape.page === undefined;
        const factor =
          connection || (shape.list && !counted)
            ? shape.page
              ? pageSize(shape, sel.arguments)
              : DEFAULT_LIST_SIZE
            : 1;
        add(summarise(sel.selectionSet, shape.type, depth + 1, false, connection), factor, 1);
      }
    }
    return s;
  };
  const total = summarise(operation.selectionSet, rootType, 0, true, false);
  return total;
}

export function limitError(limit: keyof OperationLimits, max: number, actual: number): ClientError {
  return new ClientError(
    ErrorCode.OPERATION_LIMIT,
    `Operation exceeds the ${limit} limit: ${actual} > ${max}.`,
    { limit, max, actual, http: { status: 400 } },
  );
}

/** Refuses a document larger than the limit; called before it is parsed. */
export function checkDocumentSize(query: unknown, limits: OperationLimits): void {
  if (typeof query !== 'string') return;
  // Each UTF-16 unit is at least one byte: only a string near the limit needs counting.
  if (query.length <= limits.maxDocumentBytes / 3) return;
  const bytes = Buffer.byteLength(query);
  if (bytes > limits.maxDocumentBytes)
    throw limitError('maxDocumentBytes', limits.maxDocumentBytes, bytes);
}

/**
 * Apollo plugin: measures each operation once it is resolved and refuses it over a limit;
 * `onMeasured` receives the cost of each one that passes (the rate limiter spends it).
 */
export function useOperationLimits<Ctx extends BaseContext>(
  limits: OperationLimits,
  onMeasured?: (cost: number, context: Ctx, headers: Map<string, string>) => Promise<void>,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({
          document,
          operation,
          request,
          schema,
          contextValue,
          response,
        }) {
          if (!operation) return;
          const m = checkOperationLimits(
            schema,
            document,
            operation,
            request.variables ?? {},
            limits,
          );
          await onMeasured?.(m.cost, contextValue, response.http.headers);
        },
      };
    },
  };
}

/**
 * The ceiling for an operation of `__schema`/`__type` fields alone, where introspection is on
 * (development). The standard introspection query of graphql-js (what GraphiQL and Sandbox send)
 * measures depth 15 and cost about 52 000 here: `ofType` chains are deep but not wide. Its lists
 * still count 10 each, so a `fields { type { fields … } }` fan-out is refused by cost.
 */
export const INTROSPECTION_LIMITS = { maxDepth: 20, maxCost: 100_000 } as const;

/**
 * Throws OPERATION_LIMIT when the operation is deeper, wider or costlier than `limits` allow;
 * returns its measure otherwise. Introspection fields count like any other; an operation of
 * introspection fields alone is held to {@link INTROSPECTION_LIMITS} where those are higher
 * (introspection itself is refused by validation in production).
 */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  operationLimits: OperationLimits,
): OperationMeasure {
  const introspection = operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && (s.name.value === '__schema' || s.name.value === '__type'),
  );
  const limits = introspection
    ? {
        ...operationLimits,
        maxDepth: Math.max(operationLimits.maxDepth, INTROSPECTION_LIMITS.maxDepth),
        maxCost: Math.max(operationLimits.maxCost, INTROSPECTION_LIMITS.maxCost),
      }
    : operationLimits;
  const root = schema.getRootType(operation.operation);
  const m = measureOperation(
    document,
    operation,
    variables,
    (parent, fieldName) => fieldShape(schema, parent, fieldName),
    root?.name ?? 'Query',
    limits,
  );
  const checks: Array<[keyof OperationLimits, number]> = [
    ['maxDepth', m.depth],
    ['maxAliases', m.aliases],
    ['maxRootFields', m.rootFields],
    ['maxCost', m.cost],
  ];
  for (const [limit, actual] of checks) {
    if (actual > limits[limit]) throw limitError(limit, limits[limit], actual);
  }
  return m;
}

const shapes = new WeakMap<GraphQLSchema, Map<string, FieldShape>>();

/** A field's shape, read from the schema once per schema and field. */
export function fieldShape(schema: GraphQLSchema, parent: string, fieldName: string): FieldShape {
  let cache = shapes.get(schema);
  if (!cache) shapes.set(schema, (cache = new Map()));
  const key = `${parent}.${fieldName}`;
  let shape = cache.get(key);
  if (!shape) {
    shape = readShape(schema, parent, fieldName);
    if (cache.size < 100_000) cache.set(key, shape);
  }
  return shape;
}

function readShape(schema: GraphQLSchema, parent: string, fieldName: string): FieldShape {
  // Meta fields are not among the root type's fields.
  if (fieldName === '__schema') return { list: false, type: '__Schema' };
  if (fieldName === '__type') return { list: false, type: '__Type' };
  const type = schema.getType(parent);
  if (!type || !('getFields' in type)) return { list: false, type: null };
  const field = (type as GraphQLObjectType).getFields()[fieldName];
  if (!field) return { list: false, type: null };
  let t: GraphQLOutputType = field.type;
  let list = false;
  while (isWrappingType(t)) {
    if (isListType(t)) list = true;
    t = t.ofType;
  }
  const arg = field.args.find((a) => (PAGE_ARGUMENTS as readonly string[]).includes(a.name));
  const page = arg
    ? {
        name: arg.name,
        default: typeof arg.defaultValue === 'number' ? arg.defaultValue : undefined,
      }
    : undefined;
  return { list, type: getNamedType(t).name, page };
}
