import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { GatewayContext } from './context.js';
import { takeSubsequent, type SubsequentResult } from './executor/defer.js';

/**
 * Turns an answer the executor began incrementally (a Defer plan, for a client that accepts
 * `multipart/mixed; deferSpec=20220824`) into Apollo Server's incremental response, which its
 * HTTP layer writes as multipart parts, each flushed as it comes (boundary `-`, each part
 * `content-type: application/json; charset=utf-8`). Apollo Server hands a gateway's answers
 * over whole; the executor keeps the deferred parts aside for this plugin. Errors of a deferred
 * part are formatted as every other error is. List it after plugins that read the whole answer.
 */
export function useIncrementalDelivery(
  formatErrors: (errors: readonly GraphQLError[]) => GraphQLFormattedError[],
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const subsequent = takeSubsequent(contextValue);
          if (!subsequent || response.body.kind !== 'single') return;
          response.body = {
            kind: 'incremental',
            initialResult: { ...response.body.singleResult, hasNext: true },
            subsequentResults: formatted(subsequent, formatErrors) as never,
          };
        },
      };
    },
  };
}

async function* formatted(
  results: AsyncIterable<SubsequentResult>,
  formatErrors: (errors: readonly GraphQLError[]) => GraphQLFormattedError[],
) {
  for await (const result of results) {
    if (!result.incremental) {
      yield result;
      continue;
    }
    yield {
      ...result,
      incremental: result.incremental.map(({ errors, ...item }) =>
        errors ? { ...item, errors: formatErrors(errors) } : item,
      ),
    };
  }
}
