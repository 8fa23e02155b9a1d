import { createHash } from 'node:crypto';
import { Directive, FieldResolver, ID, Resolver, Root, type ClassType } from 'type-graphql';

/**
 * The `id` of a type keyed by a natural key: its typename and the key, e.g. `Enhet:310012343`.
 * Readable in logs, unique across types (an enhet and an underenhet share one number space, as
 * Relay's global ids must be), and computed from the key alone, so every subgraph that holds the
 * key gives the same id and none needs a lookup to answer it.
 */
export function globalId(typename: string, key: string): string {
  return `${typename}:${key}`;
}

/**
 * The `id` of a value with no identity of its own (an address, a code and its description): a
 * digest of its value. Equal values are one cache entry, which is right for what never changes
 * in place; a changed value is a new entry the parent then points at.
 */
export function contentId(typename: string, value: readonly unknown[]): string {
  const digest = createHash('sha256').update(JSON.stringify(value)).digest('base64url');
  return globalId(typename, digest.slice(0, 22));
}

/**
 * A resolver class adding `id: ID!` to `type`, computed from the object by `idOf`. `@shareable`:
 * each subgraph that contributes the type may declare the same field, so the planner answers
 * `id` from the subgraph it is already in rather than with an extra fetch; they agree because
 * each computes it with {@link globalId}.
 */
export function idResolver<T extends object>(
  type: ClassType<T>,
  idOf: (root: T) => string,
  description: string,
  cacheHint?: string,
): ClassType {
  @Resolver(() => type)
  class IdResolver {
    @FieldResolver(() => ID, { description })
    @Directive('@shareable')
    id(@Root() root: T): string {
      return idOf(root);
    }
  }
  // The id is as public as the type's data: the type's cache hint (cacheControl.ts), if any.
  if (cacheHint) Directive(cacheHint)(IdResolver.prototype, 'id');
  return IdResolver;
}

/** `id: ID!` from a natural key: `<typename>:<key>` (see {@link globalId}). */
export function globalIdResolver<T extends object>(
  type: ClassType<T>,
  typename: string,
  keyOf: (root: T) => string,
  cacheHint?: string,
): ClassType {
  return idResolver(
    type,
    (root) => globalId(typename, keyOf(root)),
    `Global id (\`${typename}:<key>\`), for client caches; stable while the key is.`,
    cacheHint,
  );
}

/** `id: ID!` of a value type, from its value (see {@link contentId}). */
export function contentIdResolver<T extends object>(
  type: ClassType<T>,
  typename: string,
  valueOf: (root: T) => readonly unknown[],
  cacheHint?: string,
): ClassType {
  return idResolver(
    type,
    (root) => contentId(typename, valueOf(root)),
    'Derived from the value (equal values, equal ids), for client caches.',
    cacheHint,
  );
}
