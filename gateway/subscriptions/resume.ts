import {
  Kind,
  getNamedType,
  isObjectType,
  parse,
  print,
  visit,
  type ArgumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';

/** Names the gateway adds to a primary subscription fetch; clients never see them. */
export const RESUME_VARIABLE = 'gatewayResumeAfter';
export const CURSOR_ALIAS = 'gatewayResumeCursor';

/** How to subscribe upstream, and resume there after a lost connection. */
export interface UpstreamOperation {
  /** The operation sent to the subgraph. */
  query: string;
  /** The response name of the subscription's root field. */
  rootField: string;
  /** Whether the field resumes from a cursor (see `resumable`). */
  resumable: boolean;
  /** The cursor the client subscribed with (`after`), if any. */
  initialCursor: string | null;
}

/**
 * A subscription field is resumable when it takes `after: String` and its type has a
 * `cursor: String` field — the Relay convention, nothing specific to one subgraph. The gateway
 * then selects the cursor of every event (under an alias of its own) and, after losing the
 * subgraph, subscribes again with `after` set to the last cursor it delivered: no gap, no repeat.
 */
export function upstreamOperation(
  schema: GraphQLSchema,
  primaryOperation: string,
  variables: Readonly<Record<string, unknown>>,
): UpstreamOperation {
  const document = parse(primaryOperation);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const root = operation?.selectionSet.selections[0];
  if (!operation || root?.kind !== Kind.FIELD) {
    throw new Error('A subscription fetch selects one root field');
  }
  const rootField = root.alias?.value ?? root.name.value;
  const definition = schema.getSubscriptionType()?.getFields()[root.name.value];
  const after = definition?.args.find((a) => a.name === 'after');
  const type = definition && getNamedType(definition.type);
  const cursor = type && isObjectType(type) ? type.getFields().cursor : undefined;
  const resumable =
    after !== undefined &&
    getNamedType(after.type).name === 'String' &&
    cursor !== undefined &&
    getNamedType(cursor.type).name === 'String';
  if (!resumable) {
    return { query: primaryOperation, rootField, resumable: false, initialCursor: null };
  }

  const given = root.arguments?.find((a) => a.name.value === 'after')?.value;
  const initialCursor =
    given?.kind === Kind.STRING
      ? given.value
      : given?.kind === Kind.VARIABLE && typeof variables[given.name.value] === 'string'
        ? (variables[given.name.value] as string)
        : null;
  const resumeArgument: ArgumentNode = {
    kind: Kind.ARGUMENT,
    name: { kind: Kind.NAME, value: 'after' },
    value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: RESUME_VARIABLE } },
  };
  const cursorField: FieldNode = {
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: CURSOR_ALIAS },
    name: { kind: Kind.NAME, value: 'cursor' },
  };
  const rewrittenRoot: FieldNode = {
    ...root,
    arguments: [...(root.arguments ?? []).filter((a) => a.name.value !== 'after'), resumeArgument],
    selectionSet: {
      kind: Kind.SELECTION_SET,
      selections: [...(root.selectionSet?.selections ?? []), cursorField],
    },
  };
  // The planner's fragments (Hive names them a, b, …) stay beside the operation, and their
  // variables count as used.
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const used = new Set<string>();
  for (const node of [rewrittenRoot, ...fragments]) {
    visit(node, { Variable: (v) => void used.add(v.name.value) });
  }
  const rewritten: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: [
      ...(operation.variableDefinitions ?? []).filter(
        (d) => used.has(d.variable.name.value) && d.variable.name.value !== RESUME_VARIABLE,
      ),
      {
        kind: Kind.VARIABLE_DEFINITION,
        variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: RESUME_VARIABLE } },
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
      },
    ],
    selectionSet: { kind: Kind.SELECTION_SET, selections: [rewrittenRoot] },
  };
  return {
    query: print({ kind: Kind.DOCUMENT, definitions: [rewritten, ...fragments] }),
    rootField,
    resumable: true,
    initialCursor,
  };
}
