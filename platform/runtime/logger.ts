import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * One root logger per process; children add the service and request id. Lines go to stdout
 * unless a destination is given (tests read them back).
 */
export function createLogger(
  service: string,
  level: LevelWithSilent,
  destination?: DestinationStream,
): Logger {
  return destination
    ? pino({ level, base: { service } }, destination)
    : pino({ level, base: { service } });
}
