import type { MikroORM } from '../../../platform/db/orm.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import { MessageStatus } from '../domain/lifecycle.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { PUBLISHER, recordStatus } from './store.js';

const BATCH = 500;

/**
 * Publishes messages whose time has come (requestedPublishTime in the future when sent). Any
 * number of instances may run: each claims due rows with SKIP LOCKED, so none is published twice.
 */
export class Publisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Publishes every due message now; returns how many. */
  async publishDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await inTransaction(this.orm.em.fork(), async (run) => {
        const due = await run<{ id: string }>(
          `select id from message
           where status = ? and publish_at <= now()
           order by publish_at, id limit ${BATCH} for update skip locked`,
          [MessageStatus.READY_FOR_PUBLISH],
        );
        await recordStatus(
          run,
          due.map((d) => d.id),
          MessageStatus.PUBLISHED,
          PUBLISHER,
        );
        return due.length;
      });
      total += n;
      if (n < BATCH) return total;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.publishDue()
        .then((n) => {
          if (n > 0) this.log.info({ published: n }, 'scheduled messages published');
        })
        .catch((err: unknown) => this.log.error({ err }, 'publishing scheduled messages failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
