import type { ApolloServerPlugin } from '@apollo/server';
import type { CachePolicy } from '../platform/graphql/cacheControl.js';
import type { GatewayContext } from './context.js';

/**
 * The cache policy of each request's answer as the executor found it (the most restrictive of
 * its subgraph fetches' policies), kept by request context until the answer is sent. Null when
 * a fetch was not cacheable; absent when the answer ran no fetch.
 */
const policyByContext = new WeakMap<object, CachePolicy | null>();

/** Records the cache policy of the answer to the request with this context. */
export function recordCachePolicy(context: object, policy: CachePolicy | null | undefined): void {
  if (policy !== undefined) policyByContext.set(context, policy);
}

/** The `Cache-Control` of every answer that may not be kept by any cache. */
export const UNCACHEABLE = 'private, no-store';

/**
 * `Cache-Control` of HTTP answers: `public, max-age=<the least of the fields' hints>` only for
 * an anonymous caller's query answered in one part, without errors, wholly from subgraph
 * answers hinted PUBLIC (public register data); `private, no-store` for everything else: any
 * caller with a token, any field without a public hint, a mutation, an error, an incremental
 * answer (its later parts' hints are not known when the headers go out).
 */
export function useCacheHeaders(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response, operation }) {
          const policy = policyByContext.get(contextValue);
          policyByContext.delete(contextValue);
          const cacheable =
            policy?.scope === 'PUBLIC' &&
            contextValue.caller.anonymous &&
            operation?.operation === 'query' &&
            response.body.kind === 'single' &&
            !response.body.singleResult.errors;
          response.http.headers.set(
            'cache-control',
            cacheable ? `public, max-age=${policy.maxAge}` : UNCACHEABLE,
          );
        },
      };
    },
  };
}
