import type { EntityManager } from '@mikro-orm/postgresql';
import type { MikroORM } from '../../../platform/db/orm.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import { inTransaction } from '../../../platform/db/transaction.js';

export interface PrunerOptions {
  /** Rows younger than this are kept, in ms. */
  retentionMs: number;
  /** How often to prune, in ms. */
  intervalMs: number;
  /** Rows deleted per transaction. @default 5000 */
  batchSize?: number;
}

export interface PruneResult {
  /** Rows deleted. */
  deleted: number;
  /** Every position at or below this is gone; a cursor older than it has expired. */
  prunedThrough: number;
  /** Registered consumers whose position keeps rows past the retention window. */
  holdingBack: Array<{ consumer: string; position: number }>;
}

/**
 * Deletes outbox rows below both the retention window and the position of the slowest
 * registered consumer (`acknowledge_events_v1`), in small batches so that writers, which only
 * insert, never wait. One instance prunes at a time (a transaction-scoped advisory lock).
 */
export class OutboxPruner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private readonly batchSize: number;

  constructor(
    private readonly orm: MikroORM,
    private readonly options: PrunerOptions,
    private readonly log: Logger,
  ) {
    this.batchSize = options.batchSize ?? 5000;
  }

  start(): void {
    this.schedule();
  }

  /** Prunes what may go now. */
  async pruneOnce(): Promise<PruneResult> {
    const em = this.orm.em.fork();
    const bound = await inTransaction(em, async (run) => {
      const [row] = await run<{ retained: string | null; slowest: string | null; ok: boolean }>(
        `select pg_try_advisory_xact_lock(hashtext('meldingsboks.outbox.prune')) as ok,
           (select max(position) from outbox
             where position is not null and at < now() - ?::float8 * interval '1 millisecond'
           )::text as retained,
           (select min(position) from outbox_consumer)::text as slowest`,
        [this.options.retentionMs],
      );
      if (!row?.ok || row.retained === null) return null;
      const retained = Number(row.retained);
      const holdingBack = await run<{ consumer: string; position: string }>(
        `select name as consumer, position::text from outbox_consumer where position < ?
         order by position`,
        [retained],
      );
      const through = row.slowest === null ? retained : Math.min(retained, Number(row.slowest));
      return {
        through,
        holdingBack: holdingBack.map((h) => ({ consumer: h.consumer, position: +h.position })),
      };
    });
    let deleted = 0;
    if (bound && bound.through > 0) {
      for (;;) {
        const n = await inTransaction(this.orm.em.fork(), async (run) => {
          // The mark first: a reader that sees rows gone also sees that its cursor expired. Each
          // batch is bound again by the slowest consumer as it is now: one that moved back since
          // (a webhook replayed) keeps what it is to read again.
          const slowest = `(select min(position) from outbox_consumer)`;
          await run(
            `update outbox_retention
               set pruned_through = greatest(pruned_through, least(?, coalesce(${slowest}, ?)))`,
            [bound.through, bound.through],
          );
          const gone = await run(
            `delete from outbox where id in (
               select id from outbox where position <= least(?, coalesce(${slowest}, ?))
               order by position limit ?)
             returning 1`,
            [bound.through, bound.through, this.batchSize],
          );
          return gone.length;
        });
        deleted += n;
        if (n < this.batchSize) break;
      }
    }
    for (const h of bound?.holdingBack ?? []) {
      this.log.warn(h, 'an outbox consumer holds back pruning: its position is past the retention');
    }
    const [mark] = await this.orm.em
      .fork()
      .getConnection()
      .execute<Array<{ through: string }>>(
        'select pruned_through::text as through from outbox_retention',
      );
    return {
      deleted,
      prunedThrough: Number(mark?.through ?? 0),
      holdingBack: bound?.holdingBack ?? [],
    };
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pruneOnce()
        .then((r) => {
          if (r.deleted > 0) this.log.info(r, 'outbox pruned');
        })
        .catch((err: unknown) => this.log.error({ err }, 'pruning the outbox failed'))
        .finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}

/** The newest pruned position: a cursor before it can no longer be resumed. */
export async function prunedThrough(em: EntityManager): Promise<number> {
  const [row] = await em
    .getConnection()
    .execute<Array<{ through: string }>>(
      'select pruned_through::text as through from outbox_retention',
    );
  return Number(row?.through ?? 0);
}
