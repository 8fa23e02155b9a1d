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
  valueFromAST,
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
  kind: FieldKind;
  /** The field's type with its list and non-null wrappers. */
  type: GraphQLOutputType;
  /** Of a leaf field: its named type. */
  leaf?: GraphQLLeafType;
  /** Of a composite field: the selection below it. */
  shape?: Shape;
  /** Introspection fields: the field nodes, executed by graphql-js. */
  nodes?: FieldNode[];
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
    for (const [responseName, { nodes, scope }] of groups) {
      const name = nodes[0]!.name.value;
      if (name === '__typename') {
        fields.push({ responseName, kind: FieldKind.Typename, type: this.parentType as never });
        continue;
      }
      if (name === '__schema' || name === '__type') {
        fields.push({ responseName, kind: FieldKind.Introspection, type: null as never, nodes });
        continue;
      }
      const definition = fieldOf(runtimeType, name) ?? fieldOf(scope, name);
      if (!definition) continue;
      const named = namedTypeOf(definition.type);
      if (isLeafType(named)) {
        fields.push({ responseName, kind: FieldKind.Leaf, type: definition.type, leaf: named });
      } else {
        const selectionSets = nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []));
        fields.push({
          responseName,
          kind: FieldKind.Composite,
          type: definition.type,
          shape: new Shape(
            this.schema,
            this.fragments,
            this.conditions,
            named as GraphQLCompositeType,
            selectionSets,
          ),
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
      if (name !== 'skip' && name !== 'include') continue;
      const arg = directive.arguments?.find((a) => a.name.value === 'if');
      if (!arg) continue;
      const value =
        arg.value.kind === Kind.VARIABLE
          ? this.conditions[arg.value.name.value] === true
          : arg.value.kind === Kind.BOOLEAN && arg.value.value;
      if (name === 'skip' ? value : !value) return false;
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
  const data = completeObject(state, root, root.parentType, input, true);
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
  staticType: GraphQLCompositeType,
  input: JsonObject,
  root = false,
): JsonObject | typeof INVALID | null {
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
    switch (field.kind) {
      case FieldKind.Typename: {
        let value = own(input, name);
        if ((value === undefined || value === null) && name !== '__typename') value = typename;
        const type =
          typeof value === 'string' ? (state.schema.getType(value) ?? runtimeType) : runtimeType;
        if (!isObjectType(type)) return INVALID;
        setOwn(output, name, type.name);
        break;
      }
      case FieldKind.Introspection:
        setOwn(output, name, state.introspect(field.nodes!));
        break;
      default: {
        state.path.push(name);
        const value = completeValue(state, field, field.type, own(input, name));
        state.path.pop();
        if (value === INVALID) return INVALID;
        setOwn(output, name, value);
      }
    }
  }
  return output;
}

function completeValue(
  state: ShapeState,
  field: ShapedField,
  type: GraphQLOutputType,
  value: unknown,
): unknown {
  if (type instanceof GraphQLNonNull) {
    const before = state.errors.length;
    const completed = completeValue(state, field, type.ofType, value);
    if (completed === null) {
      if (state.errors.length === before) {
        invalid(state, `Cannot return null for non-nullable ${describeLast(state.path)}.`);
      }
      return INVALID;
    }
    return completed;
  }
  if (value === null || value === undefined) return null;
  if (type instanceof GraphQLList) {
    if (!Array.isArray(value)) {
      invalid(state, `Invalid non-list value found for ${describeLast(state.path)}.`);
      return null;
    }
    const output = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      state.path.push(i);
      const element = completeValue(state, field, type.ofType, value[i]);
      state.path.pop();
      if (element === INVALID) return null;
      output[i] = element;
    }
    return output;
  }
  if (field.kind === FieldKind.Leaf) {
    if (validLeaf(field.leaf!, value)) return value;
    invalid(state, `Invalid value found for ${describeLast(state.path)}.`);
    return null;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    invalid(state, `Invalid non-object value found for ${describeLast(state.path)}.`);
    return null;
  }
  const completed = completeObject(
    state,
    field.shape!,
    field.shape!.parentType,
    value as JsonObject,
  );
  return completed === INVALID ? null : completed;
}

function validLeaf(type: GraphQLLeafType, value: unknown): boolean {
  if (isEnumType(type)) return typeof value === 'string' && type.getValue(value) !== undefined;
  if (!isScalarType(type)) return true;
  switch (type.name) {
    case 'String':
      return typeof value === 'string';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Int':
      return Number.isInteger(value);
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'ID':
      return typeof value === 'string' || Number.isInteger(value);
    default:
      return true;
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

/** Default values of the operation's variables, for conditions on variables the client left out. */
export function conditionValues(
  schema: GraphQLSchema,
  definitions: readonly import('graphql').VariableDefinitionNode[] | undefined,
  variables: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of definitions ?? []) {
    const name = definition.variable.name.value;
    const given = variables?.[name];
    if (given !== undefined) values[name] = given;
    else if (definition.defaultValue) {
      values[name] = valueFromAST(definition.defaultValue, schema.getType('Boolean') as never);
    }
  }
  return values;
}
