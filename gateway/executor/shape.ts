import {
  GraphQLError,
  GraphQLList,
  GraphQLNonNull,
  Kind,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  isScalarType,
  type DirectiveNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLLeafType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { own, setOwn, type JsonObject } from './data.js';

/**
 * Result shaping: turns the merged subgraph data into the response the operation asked for.
 * Only requested fields under their response names, `__typename` from the runtime type,
 * type conditions decided by `__typename`, leaf values checked against their types, and nulls
 * propagated by the operation's nullability: a null in a non-null position nulls the nearest
 * nullable parent.
 *
 * A `Shape` is one merged selection at one position of the operation, compiled lazily per runtime
 * type and cached, so a plan's shapes cost only their first request.
 */

const enum FieldKind {
  Typename,
  Leaf,
  Composite,
  Introspection,
}

interface ShapedField {
  responseName: string;
  /** The name is also a property of every object (`constructor`…): read own properties only. */
  inherited?: boolean;
  kind: FieldKind;
  /** The field's type, compiled (leaf and composite fields). */
  value?: ValueType;
  /** Introspection fields: the field nodes, executed by graphql-js. */
  nodes?: FieldNode[];
}

/** A field's type with its wrappers, compiled once so completion makes no type checks. */
interface ValueType {
  nonNull: boolean;
  /** Of a list: its elements' type. */
  list?: ValueType;
  /** Of a leaf: whether a value is one of it. */
  leaf?: (value: unknown) => boolean;
  /** Of an object, interface or union: the selection below it. */
  shape?: Shape;
}

function compileType(type: GraphQLOutputType, shapeOf: () => Shape | undefined): ValueType {
  if (type instanceof GraphQLNonNull)
    return { ...compileType(type.ofType, shapeOf), nonNull: true };
  if (type instanceof GraphQLList)
    return { nonNull: false, list: compileType(type.ofType, shapeOf) };
  if (isLeafType(type)) return { nonNull: false, leaf: leafCheck(type) };
  return { nonNull: false, shape: shapeOf() };
}

/** Variables as `@skip`/`@include` see them (given values over defaults). */
export type ConditionValues = Readonly<Record<string, unknown>>;

export class Shape {
  private readonly byType = new Map<string, ShapedField[]>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>,
    private readonly conditions: ConditionValues,
    readonly parentType: GraphQLCompositeType,
    private readonly selectionSets: readonly SelectionSetNode[],
    /**
     * Leave out fragments marked `@defer` (unless `if: false`): the shape of what an incremental
     * answer delivers first, or of one deferred part without the parts deferred within it.
     */
    private readonly excludeDeferred = false,
  ) {}

  /** The fields to produce for an object of `runtimeType`, in response order. */
  fields(runtimeType: GraphQLCompositeType): ShapedField[] {
    let fields = this.byType.get(runtimeType.name);
    if (!fields) {
      fields = this.collect(runtimeType);
      this.byType.set(runtimeType.name, fields);
    }
    return fields;
  }

  /** True when an object of `runtimeType` needs fields besides `__typename` and introspection. */
  needsData(runtimeType: GraphQLCompositeType): boolean {
    return this.fields(runtimeType).some(
      (f) => f.kind === FieldKind.Leaf || f.kind === FieldKind.Composite,
    );
  }

  private collect(runtimeType: GraphQLCompositeType): ShapedField[] {
    const groups = new Map<string, { nodes: FieldNode[]; scope: GraphQLCompositeType }>();
    const visit = (selectionSet: SelectionSetNode, scope: GraphQLCompositeType) => {
      for (const selection of selectionSet.selections) {
        if (!this.included(selection.directives)) continue;
        if (selection.kind === Kind.FIELD) {
          const name = selection.alias?.value ?? selection.name.value;
          const group = groups.get(name);
          if (group) group.nodes.push(selection);
          else groups.set(name, { nodes: [selection], scope });
        } else {
          const fragment =
            selection.kind === Kind.INLINE_FRAGMENT
              ? selection
              : this.fragments[selection.name.value];
          if (!fragment) continue;
          const conditionName = fragment.typeCondition?.name.value;
          const condition = conditionName ? this.schema.getType(conditionName) : scope;
          if (!condition || !isCompositeType(condition)) continue;
          if (!this.applies(condition, runtimeType)) continue;
          visit(fragment.selectionSet, condition);
        }
      }
    };
    for (const selectionSet of this.selectionSets) visit(selectionSet, this.parentType);

    const fields: ShapedField[] = [];
    const push = (field: ShapedField) =>
      fields.push(field.responseName in Object.prototype ? { ...field, inherited: true } : field);
    for (const [responseName, { nodes, scope }] of groups) {
      const name = nodes[0]!.name.value;
      if (name === '__typename') {
        push({ responseName, kind: FieldKind.Typename });
        continue;
      }
      if (name === '__schema' || name === '__type') {
        push({ responseName, kind: FieldKind.Introspection, nodes });
        continue;
      }
      const definition = fieldOf(runtimeType, name) ?? fieldOf(scope, name);
      if (!definition) continue;
      const named = namedTypeOf(definition.type);
      if (isLeafType(named)) {
        push({
          responseName,
          kind: FieldKind.Leaf,
          value: compileType(definition.type, () => undefined),
        });
      } else {
        const selectionSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
        const shape = new Shape(
          this.schema,
          this.fragments,
          this.conditions,
          named as GraphQLCompositeType,
          selectionSets,
          this.excludeDeferred,
        );
        push({
          responseName,
          kind: FieldKind.Composite,
          value: compileType(definition.type, () => shape),
        });
      }
    }
    return fields;
  }

  /** True when a fragment on `condition` applies to an object of `runtimeType`. */
  private applies(condition: GraphQLCompositeType, runtimeType: GraphQLCompositeType): boolean {
    if (condition === runtimeType) return true;
    if (!isAbstractType(condition)) return false;
    if (isObjectType(runtimeType) || isInterfaceType(runtimeType)) {
      return this.schema.isSubType(condition, runtimeType);
    }
    return false;
  }

  private included(directives: readonly DirectiveNode[] | undefined): boolean {
    if (!directives || directives.length === 0) return true;
    for (const directive of directives) {
      const name = directive.name.value;
      const deferred = name === 'defer' && this.excludeDeferred;
      if (name !== 'skip' && name !== 'include' && !deferred) continue;
      const arg = directive.arguments?.find((a) => a.name.value === 'if');
      if (!arg) {
        if (deferred) return false;
        continue;
      }
      const value =
        arg.value.kind === Kind.VARIABLE
          ? this.conditions[arg.value.name.value] === true
          : arg.value.kind === Kind.BOOLEAN && arg.value.value;
      if (name === 'skip' || deferred ? value : !value) return false;
    }
    return true;
  }
}

function fieldOf(
  type: GraphQLCompositeType,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (isObjectType(type) || isInterfaceType(type)) return type.getFields()[name];
  return undefined;
}

function namedTypeOf(type: GraphQLOutputType): GraphQLNamedType {
  let t: GraphQLOutputType = type;
  while (t instanceof GraphQLList || t instanceof GraphQLNonNull) t = t.ofType;
  return t;
}

/** Marks a value that is null in a non-null position: its parent becomes null. */
const INVALID = Symbol('invalid');

export interface ShapeResult {
  data: JsonObject | null;
  /** Value-completion errors: what the subgraphs returned that the schema does not allow. */
  errors: GraphQLError[];
}

/**
 * Shapes `input` (the merged data) by `root`. `introspect` answers the root's introspection
 * fields.
 */
export function shapeResponse(
  root: Shape,
  input: JsonObject,
  introspect: (nodes: FieldNode[]) => unknown,
): ShapeResult {
  const state: ShapeState = { errors: [], path: [], introspect, schema: root['schema'] };
  const data = completeObject(state, root, input, true);
  return { data: data === INVALID ? null : data, errors: state.errors };
}

/**
 * Shapes one object of the response (a deferred part's) by `shape`; `path` is where it sits.
 * Null when a non-null field of it is missing.
 */
export function shapeObject(
  shape: Shape,
  input: JsonObject,
  path: readonly (string | number)[],
  introspect: (nodes: FieldNode[]) => unknown,
): ShapeResult {
  const state: ShapeState = { errors: [], path: [...path], introspect, schema: shape['schema'] };
  const data = completeObject(state, shape, input);
  return { data: data === INVALID ? null : data, errors: state.errors };
}

interface ShapeState {
  errors: GraphQLError[];
  path: (string | number)[];
  introspect: (nodes: FieldNode[]) => unknown;
  schema: GraphQLSchema;
}

function completeObject(
  state: ShapeState,
  shape: Shape,
  input: JsonObject,
  root = false,
): JsonObject | typeof INVALID | null {
  const staticType = shape.parentType;
  const typename = input.__typename;
  let runtimeType = staticType;
  if (typeof typename === 'string' && typename !== staticType.name && !root) {
    const type = state.schema.getType(typename);
    if (!type || !isCompositeType(type)) {
      invalid(state, `Invalid __typename found for object at ${describeLast(state.path)}.`);
      return null;
    }
    runtimeType = type;
  }
  const fields = shape.fields(runtimeType);
  const output: JsonObject = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const name = field.responseName;
    let value: unknown;
    switch (field.kind) {
      case FieldKind.Typename: {
        let given = own(input, name);
        if ((given === undefined || given === null) && name !== '__typename') given = typename;
        const type =
          typeof given === 'string' ? (state.schema.getType(given) ?? runtimeType) : runtimeType;
        if (!isObjectType(type)) return INVALID;
        value = type.name;
        break;
      }
      case FieldKind.Introspection:
        value = state.introspect(field.nodes!);
        break;
      default: {
        state.path.push(name);
        value = completeValue(
          state,
          field.value!,
          field.inherited ? own(input, name) : input[name],
        );
        state.path.pop();
        if (value === INVALID) return INVALID;
      }
    }
    if (name === '__proto__') setOwn(output, name, value);
    else output[name] = value;
  }
  return output;
}

function completeValue(state: ShapeState, type: ValueType, value: unknown): unknown {
  if (value === null || value === undefined) return nullFor(state, type, state.errors.length);
  let completed: unknown;
  if (type.list) {
    if (!Array.isArray(value)) {
      invalid(state, `Invalid non-list value found for ${describeLast(state.path)}.`);
      return type.nonNull ? INVALID : null;
    }
    const element = type.list;
    const output = new Array<unknown>(value.length);
    completed = output;
    for (let i = 0; i < value.length; i++) {
      state.path.push(i);
      const before = state.errors.length;
      let item: unknown = value[i];
      item =
        item === null || item === undefined
          ? nullFor(state, element, before)
          : completeValue(state, element, item);
      state.path.pop();
      if (item === INVALID) {
        completed = null;
        break;
      }
      output[i] = item;
    }
  } else if (type.leaf) {
    if (type.leaf(value)) return value;
    invalid(state, `Invalid value found for ${describeLast(state.path)}.`);
    completed = null;
  } else if (typeof value !== 'object' || Array.isArray(value)) {
    invalid(state, `Invalid non-object value found for ${describeLast(state.path)}.`);
    completed = null;
  } else {
    const before = state.errors.length;
    const object = completeObject(state, type.shape!, value as JsonObject);
    completed = object === INVALID ? null : object;
    if (completed === null) return nullFor(state, type, before);
    return completed;
  }
  if (completed === null && type.nonNull) return nullFor(state, type, state.errors.length - 1);
  return completed;
}

/**
 * Null in a position of `type`: fine where nullable; in a non-null position an error (unless
 * one was already reported below since `errorsBefore`) and INVALID, which nulls the parent.
 */
function nullFor(state: ShapeState, type: ValueType, errorsBefore: number): null | typeof INVALID {
  if (!type.nonNull) return null;
  if (state.errors.length === errorsBefore) {
    invalid(state, `Cannot return null for non-nullable ${describeLast(state.path)}.`);
  }
  return INVALID;
}

function leafCheck(type: GraphQLLeafType): (value: unknown) => boolean {
  if (isEnumType(type))
    return (value) => typeof value === 'string' && type.getValue(value) !== undefined;
  if (!isScalarType(type)) return () => true;
  switch (type.name) {
    case 'String':
      return (value) => typeof value === 'string';
    case 'Boolean':
      return (value) => typeof value === 'boolean';
    case 'Int':
      return (value) => Number.isInteger(value);
    case 'Float':
      return (value) => typeof value === 'number' && Number.isFinite(value);
    case 'ID':
      return (value) => typeof value === 'string' || Number.isInteger(value);
    default:
      return () => true;
  }
}

function describeLast(path: readonly (string | number)[]): string {
  const last = path[path.length - 1];
  return typeof last === 'number' ? `list element at index ${last}` : `field "${String(last)}"`;
}

function invalid(state: ShapeState, message: string): void {
  state.errors.push(
    new GraphQLError(message, {
      path: state.path.slice(),
      extensions: { code: 'INVALID_GRAPHQL' },
    }),
  );
}
