import type { ApolloServerPlugin } from '@apollo/server';
import { ErrorCode } from '../platform/graphql/errors.js';
import type { GatewayContext } from './context.js';
import type { GatewayMetrics } from './metrics.js';

/** Counts every operation by name and outcome and records its latency. */
export function useMetrics(metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const began = performance.now();
      return {
        async willSendResponse({ operationName, response }) {
          const operation = metrics.operationLabel(operationName);
          const errors =
            response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const outcome =
            errors.length === 0
              ? 'success'
              : errors.some((e) => e.extensions?.code === ErrorCode.OPERATION_LIMIT)
                ? 'rejected'
                : 'error';
          metrics.requests.inc({ operation, outcome });
          metrics.requestDuration.observe({ operation }, (performance.now() - began) / 1000);
        },
      };
    },
  };
}
