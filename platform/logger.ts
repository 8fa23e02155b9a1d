import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** One root logger per service; children carry the service name on every line. */
export function createLogger(service: string, level: LevelWithSilent): Logger {
  return pino({ level, base: { service } });
}
