import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  getNamedType,
  isListType,
  isWrappingType,
  Kind,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { ClientError, ErrorCode } from '../platform/errors.js';

/** Limits on one operation; each is checked before any subgraph is called. */
export interface OperationLimits {
  /** Deepest nesting of fields. */
  maxDepth: number;
  /** Aliased fields in the whole operation. */
  maxAliases: number;
  /** Fields selected at the root. */
  maxRootFields: number;
  /**
   * Estimated cost: every field counts 1, times the page sizes of the lists around it. A field
   * with a page argument that returns an object (a connection) counts as a list of that size.
   */
  maxCost: number;
  /** Length of the document in bytes. */
  maxDocumentBytes: number;
}

/** The page size assumed for a list field with no `first`, `last` or `limit` argument. */
export const DEFAULT_LIST_SIZE = 10;
const PAGE_ARGUMENTS = new Set(['first', 'last', 'limit']);

export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  cost: number;
}

/**
 * Measures an operation by walking its selections through fragments. It reads only the document
 * and variables, so it knows nothing of the domain; `isList` tells which fields return lists.
 */
export function measureOperation(
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  isList: (parentType: string, field: string) => { list: boolean; type: string | null },
  rootType: string,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  }
  const m: OperationMeasure = { depth: 0, aliases: 0, rootFields: 0, cost: 0 };
  type Args = readonly { name: { value: string }; value: ValueNode }[];
  const pageArgument = (args: Args = []) => args.find((a) => PAGE_ARGUMENTS.has(a.name.value));
  const pageSize = (args: Args = []) => {
    const a = pageArgument(args);
    const v =
      a?.value.kind === Kind.INT
        ? Number(a.value.value)
        : a?.value.kind === Kind.VARIABLE
          ? variables[a.value.name.value]
          : undefined;
    return typeof v === 'number' && Number.isFinite(v) ? Math.max(0, v) : DEFAULT_LIST_SIZE;
  };
  /**
   * `paged`: the selection is a page (a Relay connection) whose size the parent's `first`
   * already counted, so its lists (edges, nodes) are not counted again.
   */
  const walk = (
    set: SelectionSetNode,
    type: string | null,
    depth: number,
    multiplier: number,
    root: boolean,
    paged = false,
  ) => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(sel.name.value);
        if (fragment)
          walk(
            fragment.selectionSet,
            fragment.typeCondition.name.value,
            depth,
            multiplier,
            root,
            paged,
          );
        continue;
      }
      if (sel.kind === Kind.INLINE_FRAGMENT) {
        walk(
          sel.selectionSet,
          sel.typeCondition?.name.value ?? type,
          depth,
          multiplier,
          root,
          paged,
        );
        continue;
      }
      if (root) m.rootFields++;
      if (sel.alias) m.aliases++;
      if (sel.name.value === '__typename') continue;
      m.depth = Math.max(m.depth, depth + 1);
      m.cost += multiplier;
      if (sel.selectionSet) {
        const field = type ? isList(type, sel.name.value) : { list: false, type: null };
        const connection = !field.list && pageArgument(sel.arguments) !== undefined;
        const counted = field.list && paged && pageArgument(sel.arguments) === undefined;
        const next =
          (field.list && !counted) || connection
            ? multiplier * pageSize(sel.arguments)
            : multiplier;
        walk(sel.selectionSet, field.type, depth + 1, next, false, connection);
      }
    }
  };
  walk(operation.selectionSet, rootType, 0, 1, true);
  return m;
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
  const bytes = Buffer.byteLength(query);
  if (bytes > limits.maxDocumentBytes)
    throw limitError('maxDocumentBytes', limits.maxDocumentBytes, bytes);
}

/** Apollo plugin: measures each operation once it is resolved and refuses it over a limit. */
export function useOperationLimits<Ctx extends BaseContext>(
  limits: OperationLimits,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          if (operation) {
            checkOperationLimits(schema, document, operation, request.variables ?? {}, limits);
          }
        },
      };
    },
  };
}

/** Throws OPERATION_LIMIT when the operation is deeper, wider or costlier than `limits` allow. */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: OperationLimits,
): void {
  // Introspection (development only) is deep by nature and never reaches a subgraph.
  const onlyIntrospection = operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && s.name.value.startsWith('__'),
  );
  if (onlyIntrospection) return;
  const root = schema.getRootType(operation.operation);
  const m = measureOperation(
    document,
    operation,
    variables,
    (parent, fieldName) => fieldShape(schema, parent, fieldName),
    root?.name ?? 'Query',
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
}

function fieldShape(schema: GraphQLSchema, parent: string, fieldName: string) {
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
  return { list, type: getNamedType(t).name };
}
