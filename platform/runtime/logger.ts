import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * One root logger per process; children add the service and request id. Lines go to stdout
 * unless a destination is given (tests read them back), written synchronously: with pino's
 * asynchronous default, a line still being written when the process exits could land after the
 * line flushed at exit ("stopped" before "shutting down").
 */
export function createLogger(
  service: string,
  level: LevelWithSilent,
  destination?: DestinationStream,
): Logger {
  return pino(
    { level, base: { service } },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
