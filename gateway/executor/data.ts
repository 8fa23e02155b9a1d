import { isAbstractType, isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import type {
  FetchDataRewrite,
  QueryPlanSelectionNode,
  RenamedRequiresField,
  ResponsePath,
} from './planTypes.js';

/**
 * Operations on the response as it is assembled: plain JSON objects from subgraphs, merged in
 * place. Objects come from `JSON.parse`, so keys such as `__proto__` are own properties; reads
 * go through `own` so that a missing key never finds a prototype's.
 */
export type JsonObject = Record<string, unknown>;

const hasOwn = Object.prototype.hasOwnProperty;

export function own(object: JsonObject, key: string): unknown {
  return hasOwn.call(object, key) ? object[key] : undefined;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a key even when it is `__proto__`. */
export function setOwn(object: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(object, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    object[key] = value;
  }
}

/**
 * A deep copy of parsed JSON (objects, lists, primitives): what `structuredClone` gives for
 * such values, several times cheaper since it needs no serialization. Keeps own `__proto__`.
 */
export function copyJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = copyJson(value[i]);
    return copy;
  }
  const source = value as JsonObject;
  const copy: JsonObject = {};
  const keys = Object.keys(source);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key === '__proto__') setOwn(copy, key, copyJson(source[key]));
    else copy[key] = copyJson(source[key]);
  }
  return copy;
}

/** Merges `source` into `target`: objects key by key, lists of equal length element by element. */
export function deepMerge(target: JsonObject, source: unknown): void {
  if (!isJsonObject(source)) return;
  const keys = Object.keys(source);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const value = source[key];
    if (value === undefined) continue;
    const existing = key in Object.prototype ? own(target, key) : target[key];
    if (isJsonObject(existing) && isJsonObject(value)) {
      deepMerge(existing, value);
    } else if (
      Array.isArray(existing) &&
      Array.isArray(value) &&
      existing.length === value.length
    ) {
      for (let i = 0; i < value.length; i++) {
        const element = existing[i];
        if (isJsonObject(element) && isJsonObject(value[i])) deepMerge(element, value[i]);
        else existing[i] = value[i];
      }
    } else {
      setOwn(target, key, value);
    }
  }
}

/**
 * The objects at `path` below `value`, `@` standing for every element of a list; nested lists
 * are flattened, nulls dropped.
 */
export function objectsAt(
  value: unknown,
  path: ResponsePath,
  from = 0,
  into: JsonObject[] = [],
): JsonObject[] {
  if (value === null || value === undefined) return into;
  if (Array.isArray(value)) {
    // '@' steps into the list; a list met where a field is expected is walked element-wise too.
    const next = path[from] === '@' ? from + 1 : from;
    for (const element of value) objectsAt(element, path, next, into);
    return into;
  }
  if (from === path.length) {
    if (isJsonObject(value)) into.push(value);
    return into;
  }
  const step = path[from]!;
  if (step === '@' || !isJsonObject(value)) return into;
  if (isTypeStep(step)) {
    return typeStepMatches(step, value) ? objectsAt(value, path, from + 1, into) : into;
  }
  return objectsAt(own(value, String(step)), path, from + 1, into);
}

/** The response paths of the objects `objectsAt` returns, in the same order. */
export function pathsAt(
  value: unknown,
  path: ResponsePath,
  from = 0,
  prefix: (string | number)[] = [],
  into: (string | number)[][] = [],
) {
  if (value === null || value === undefined) return into;
  if (Array.isArray(value)) {
    const next = path[from] === '@' ? from + 1 : from;
    value.forEach((element, index) => {
      prefix.push(index);
      pathsAt(element, path, next, prefix, into);
      prefix.pop();
    });
    return into;
  }
  if (from === path.length) {
    if (isJsonObject(value)) into.push(prefix.slice());
    return into;
  }
  const step = path[from]!;
  if (step === '@' || !isJsonObject(value)) return into;
  if (isTypeStep(step)) {
    if (typeStepMatches(step, value)) pathsAt(value, path, from + 1, prefix, into);
    return into;
  }
  prefix.push(step);
  pathsAt(own(value, String(step)), path, from + 1, prefix, into);
  prefix.pop();
  return into;
}

const FRAGMENT = '... on ';

/** A path step `... on A|B`: objects whose `__typename` is A or B (or unknown) go on. */
function isTypeStep(step: string | number): step is string {
  return typeof step === 'string' && step.startsWith(FRAGMENT);
}

function typeStepMatches(step: string, object: JsonObject): boolean {
  const typename = object.__typename;
  if (typeof typename !== 'string') return true;
  return step.slice(FRAGMENT.length).split('|').includes(typename);
}

/** True when `object` (by its `__typename`) is of `typeCondition` in `schema`. */
export function isObjectOfType(
  schema: GraphQLSchema,
  object: JsonObject,
  typeCondition: string,
  whenUnknown = false,
): boolean {
  const typename = object.__typename;
  if (typeof typename !== 'string' || typename === '') return whenUnknown;
  if (typename === typeCondition) return true;
  const type = schema.getType(typename);
  const condition = schema.getType(typeCondition);
  if (!type || !condition || !isAbstractType(condition)) return false;
  return (isObjectType(type) || isInterfaceType(type)) && schema.isSubType(condition, type);
}

/**
 * The representation of `source` a `_entities` fetch sends: the `requires` selection picked out
 * of it, or null when a required field is missing.
 */
export function selectRequires(
  schema: GraphQLSchema,
  source: unknown,
  selections: readonly QueryPlanSelectionNode[],
): unknown {
  if (source === null || source === undefined) return null;
  if (!isJsonObject(source)) return source;
  const result: JsonObject = {};
  for (const selection of selections) {
    if (selection.kind === 'Field') {
      const name = selection.alias ?? selection.name;
      const value = own(source, (selection as Partial<RenamedRequiresField>).readFrom ?? name);
      if (value === undefined) return null;
      const sub = selection.selections;
      if (Array.isArray(value)) {
        setOwn(result, name, sub ? value.map((v) => selectRequires(schema, v, sub)) : value);
      } else if (sub) {
        setOwn(result, name, selectRequires(schema, value, sub));
      } else {
        setOwn(result, name, value);
      }
    } else if (selection.typeCondition && isObjectOfType(schema, source, selection.typeCondition)) {
      const picked = selectRequires(schema, source, selection.selections);
      deepMerge(result, picked);
    }
  }
  return result;
}

/** Applies the planner's input or output rewrites (`__typename` setters, key renames) in place. */
export function applyRewrites(
  schema: GraphQLSchema,
  rewrites: readonly FetchDataRewrite[] | undefined,
  value: unknown,
): void {
  if (!rewrites) return;
  for (const rewrite of rewrites) {
    if (rewrite.path.length === 0) continue;
    const parent = rewrite.path.slice(0, -1);
    const field = rewrite.path[rewrite.path.length - 1]!;
    applyAt(schema, parent, 0, value, (object) => {
      if (rewrite.kind === 'ValueSetter') {
        setOwn(object, field, rewrite.setValueTo);
      } else {
        const renamed = own(object, field);
        if (renamed !== undefined && renamed !== null) {
          setOwn(object, rewrite.renameKeyTo, renamed);
          object[field] = undefined;
        }
      }
    });
  }
}

function applyAt(
  schema: GraphQLSchema,
  path: readonly string[],
  from: number,
  value: unknown,
  apply: (object: JsonObject) => void,
): void {
  if (Array.isArray(value)) {
    for (const element of value) applyAt(schema, path, from, element, apply);
    return;
  }
  if (!isJsonObject(value)) return;
  if (from === path.length) {
    apply(value);
    return;
  }
  const step = path[from]!;
  if (step.startsWith(FRAGMENT)) {
    // One type (Apollo's rewrites) or several joined by `|` (Hive's `TypenameEquals`).
    const types = step.slice(FRAGMENT.length).split('|');
    if (types.some((type) => isObjectOfType(schema, value, type, true))) {
      applyAt(schema, path, from + 1, value, apply);
    }
  } else {
    applyAt(schema, path, from + 1, own(value, step), apply);
  }
}
