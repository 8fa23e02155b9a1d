import type express from 'express';
import { ErrorCode } from '../../platform/graphql/errors.js';

/**
 * Load shedding by event-loop lag: a timer that should fire every `intervalMs` measures how late
 * it fires. While the worst lateness of the last `holdMs` is past the threshold, new GraphQL
 * requests are answered 503 with `Retry-After` before their bodies are read or parsed, so a
 * backlog built up during a stall drains cheaply instead of stalling the loop again, and the
 * answer does not flap from one tick to the next. `/health` is not behind it.
 */
export class LoadShedder {
  /** The worst lateness of the timer within the last `holdMs`, in ms. */
  lagMs = 0;
  /** Requests shed so far. */
  shed = 0;
  private readonly timer: NodeJS.Timeout;
  /** Ticks due before this moment are not measured (see `excuse`). */
  private excusedUntil = 0;

  constructor(
    readonly thresholdMs: number,
    intervalMs = 50,
    holdMs = 1_000,
  ) {
    let expected = performance.now() + intervalMs;
    let peakAt = 0;
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = expected <= this.excusedUntil ? 0 : Math.max(0, now - expected);
      expected = now + intervalMs;
      if (late >= this.lagMs || now - peakAt > holdMs) {
        this.lagMs = late;
        peakAt = now;
      }
    }, intervalMs);
    this.timer.unref();
  }

  /**
   * The loop was just held up by the gateway's own work, not by load (a supergraph reload plans
   * synchronously, some hundreds of ms): that stall is not counted, so no request is shed and
   * readiness does not drop for the second after it.
   */
  excuse(): void {
    this.excusedUntil = performance.now();
  }

  get overloaded(): boolean {
    return this.lagMs > this.thresholdMs;
  }

  /** Express middleware for the GraphQL path. */
  readonly middleware: express.RequestHandler = (_req, res, next) => {
    if (!this.overloaded) return next();
    this.shed++;
    const retryAfter = Math.max(1, Math.ceil(this.lagMs / 1000));
    res
      .status(503)
      .set('retry-after', String(retryAfter))
      .json({
        errors: [
          {
            message: `The gateway is overloaded (event loop ${Math.round(this.lagMs)} ms late). Retry after ${retryAfter} s.`,
            extensions: { code: ErrorCode.OVERLOADED, retryAfter },
          },
        ],
      });
  };

  stop(): void {
    clearInterval(this.timer);
  }
}
