import { Kind, visit, type DirectiveNode, type DocumentNode } from 'graphql';

/**
 * Apollo-style cache hints. A subgraph marks what may be shared with `@cacheControl(maxAge: N,
 * scope: PUBLIC)` (type-graphql's `@Directive(PUBLIC)`); Apollo Server's cache-control plugin
 * (on by default) computes each response's policy from the fields it resolved and sends it as
 * the `cache-control` header, `_entities` answers included (@apollo/subgraph restricts them by
 * the entity type's hint). A response with any field that is not hinted cacheable is `no-store`.
 */
// The scope enum is the subgraph's own, kept out of the graph's API by `@inaccessible`.
export const CACHE_CONTROL_SDL = `
enum CacheControlScope @federation__inaccessible { PUBLIC PRIVATE }
directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION
`;

/** Seconds public register data may be shared or cached for. */
export const PUBLIC_MAX_AGE = 300;

/** The hint of data anyone may see: the gateway may share one answer among callers. */
export const PUBLIC = `@cacheControl(maxAge: ${PUBLIC_MAX_AGE}, scope: PUBLIC)`;

const UNCACHEABLE: DirectiveNode = {
  kind: Kind.DIRECTIVE,
  name: { kind: Kind.NAME, value: 'cacheControl' },
  arguments: [
    {
      kind: Kind.ARGUMENT,
      name: { kind: Kind.NAME, value: 'maxAge' },
      value: { kind: Kind.INT, value: '0' },
    },
  ],
};

const isHint = (d: DirectiveNode) => d.name.value === 'cacheControl';

/**
 * Public only where said so. Apollo lets a scalar field without a hint inherit nothing, so on a
 * type hinted PUBLIC (which `_entities` needs) a field added later without a thought would be
 * shared across callers. Here every field of a hinted type that has no hint of its own gets
 * `@cacheControl(maxAge: 0)`: a response that selects it is `no-store`.
 */
export function privateUnlessHinted(document: DocumentNode): DocumentNode {
  return visit(document, {
    ObjectTypeDefinition(type) {
      if (!type.directives?.some(isHint)) return undefined;
      return {
        ...type,
        fields: type.fields?.map((field) =>
          field.directives?.some(isHint)
            ? field
            : { ...field, directives: [...(field.directives ?? []), UNCACHEABLE] },
        ),
      };
    },
  });
}

/** A response's cache policy as the gateway reads it from a subgraph's `cache-control` header. */
export interface CachePolicy {
  maxAge: number;
  scope: 'PUBLIC' | 'PRIVATE';
}

/**
 * Parses a `cache-control` header: `max-age=N, public|private` (what Apollo Server sends) into
 * a policy; anything else (`no-store`, none, max-age 0, unknown directives) is undefined, and
 * undefined is never shared.
 */
export function parseCachePolicy(header: string | string[] | undefined): CachePolicy | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  let maxAge: number | undefined;
  let scope: CachePolicy['scope'] = 'PRIVATE';
  let publicSeen = false;
  for (const part of value.toLowerCase().split(',')) {
    const directive = part.trim();
    if (directive === 'public') publicSeen = true;
    else if (directive === 'private') scope = 'PRIVATE';
    else if (directive.startsWith('max-age=')) maxAge = Number(directive.slice(8));
    else if (directive === 'no-store' || directive === 'no-cache') return undefined;
  }
  if (maxAge === undefined || !Number.isInteger(maxAge) || maxAge <= 0) return undefined;
  // `private` wins over `public` when a header says both.
  if (publicSeen && !value.toLowerCase().includes('private')) scope = 'PUBLIC';
  return { maxAge, scope };
}
