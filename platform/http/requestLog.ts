import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Logger } from '../runtime/logger.js';
import { activeSpan } from '../runtime/tracing.js';

/** What every service's context carries for logging. */
export interface LoggingContext extends BaseContext {
  requestId: string;
  /** A child logger that stamps `requestId` on every line. */
  log: Logger;
}

/** One log line per operation: its name, outcome and duration, with the request id. */
export function useRequestLog<Ctx extends LoggingContext>(): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart({ contextValue }) {
      const began = performance.now();
      activeSpan()?.setAttribute('dpv.request_id', contextValue.requestId);
      return {
        async didResolveOperation({ operationName, operation }) {
          const span = activeSpan();
          span?.setAttribute('graphql.operation.name', operationName ?? '');
          if (operation) span?.setAttribute('graphql.operation.type', operation.operation);
        },
        async willSendResponse({ operationName, response }) {
          const status = response.http.status ?? 200;
          const errors =
            response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          contextValue.log.info(
            {
              operationName: operationName ?? null,
              durationMs: Math.round((performance.now() - began) * 10) / 10,
              status,
              errors: errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
            },
            'operation',
          );
        },
      };
    },
  };
}

/** A request id the client or the gateway sent, if it is a sane one; otherwise a new one. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}
