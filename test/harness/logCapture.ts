import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../platform/runtime/logger.js';

/** A logger whose JSON lines the test can read back. */
export class LogCapture {
  readonly lines: Array<Record<string, unknown>> = [];
  readonly log: Logger;

  constructor(level: 'info' | 'debug' = 'info') {
    const stream = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        }
        done();
      },
    });
    this.log = createLogger('test', level, stream);
  }

  /** Lines whose fields include all of `match`. */
  find(match: Record<string, unknown>): Array<Record<string, unknown>> {
    return this.lines.filter((l) => Object.entries(match).every(([k, v]) => l[k] === v));
  }
}
