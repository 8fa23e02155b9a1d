/**
 * Runs at most `concurrency` tasks at once and queues the rest in arrival order: backpressure in
 * place of a pool timeout. A burst then waits its turn for a connection that is sure to come,
 * instead of every task asking the pool at once and the late ones failing with "Timeout
 * acquiring a connection".
 */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError('concurrency must be a positive integer');
    }
  }

  /** Tasks waiting for a turn. */
  get waiting(): number {
    return this.queue.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      // The turn passes straight to the next task: `active` stays as it is.
      if (next) next();
      else this.active--;
    }
  }
}
