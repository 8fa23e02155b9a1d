/**
 * Hive Gateway's configuration for `npm run bench:gateway` (given with --config-path): quiet logs,
 * and the caller header the client sends passed on to every subgraph request, as ours does with
 * the caller it signs. Nothing else differs from Hive Gateway's defaults.
 */
export const gatewayConfig = {
  logging: 'warn',
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => {
      const caller = request.headers.get('dpv-caller');
      return caller ? { 'dpv-caller': caller } : {};
    },
  },
};
