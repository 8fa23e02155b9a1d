import { OutboxTail } from '../../../platform/events/tail.js';
import type { Logger } from '../../../platform/runtime/logger.js';

/** Enhetsregisteret's role change feed, version 1 (its migration RoleChanges). */
export const ROLE_CHANGES_VIEW = 'enhetsregisteret.rolle_endring_v1';
export const ROLE_CHANGES_CHANNEL = 'enhetsregisteret_rolle_endring';
/** PostgreSQL's undefined_table. */
const UNDEFINED_TABLE = '42P01';

interface RoleChange {
  position: number;
  enheter: string[];
}

/** Something that keeps answers about roles in enheter. */
export interface RoleAnswers {
  invalidate(enhet: string): void;
  /** Forgets every answer. */
  clear(): void;
}

/**
 * Follows Enhetsregisteret's role change feed from where it is at start, and drops the cached
 * answers (firms' and persons' roles, the feeds' access answers) about every enhet it names,
 * in feed order. Nothing before the start matters: caches begin empty.
 */
export class RoleChangeFollower {
  private tail: OutboxTail<RoleChange>;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly databaseUrl: string,
    private readonly answers: readonly RoleAnswers[],
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {
    this.tail = this.newTail();
  }

  private newTail(): OutboxTail<RoleChange> {
    const { databaseUrl, pollMs, log } = this;
    const tail = new OutboxTail<RoleChange>({
      databaseUrl,
      table: ROLE_CHANGES_VIEW,
      channel: ROLE_CHANGES_CHANNEL,
      pollMs,
      log,
      bufferSize: 100,
      map: (raw) => ({
        position: Number(raw.position),
        enheter: raw.enheter as string[],
      }),
    });
    tail.observe((rows) => {
      for (const row of rows) {
        for (const enhet of row.enheter) for (const a of this.answers) a.invalidate(enhet);
      }
    });
    return tail;
  }

  /**
   * Starts following. Where Enhetsregisteret has not yet created its feed (its migrations run
   * when it starts: meldingsboks may come up first on a new database), meldingsboks starts
   * anyway and looks again every poll; once the feed is there every cached answer is dropped,
   * since roles may have changed before it was followed.
   */
  async start(): Promise<void> {
    try {
      await this.tail.start();
    } catch (err) {
      if ((err as { code?: string }).code !== UNDEFINED_TABLE) throw err;
      this.log.warn(
        { feed: ROLE_CHANGES_VIEW },
        "Enhetsregisteret's role change feed is not there yet: looking again every poll",
      );
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    this.retry = setTimeout(() => {
      if (this.closed) return;
      this.tail = this.newTail();
      this.tail.start().then(
        () => {
          for (const a of this.answers) a.clear();
          this.log.info({ feed: ROLE_CHANGES_VIEW }, "following Enhetsregisteret's role changes");
        },
        (err: unknown) => {
          if ((err as { code?: string }).code !== UNDEFINED_TABLE) {
            this.log.error({ err }, "Enhetsregisteret's role change feed cannot be read");
          }
          if (!this.closed) this.scheduleRetry();
        },
      );
    }, this.pollMs);
    this.retry.unref();
  }

  /**
   * Resolves once every role change committed before the call has been applied to the caches:
   * a feed awaits it before asking access for events that came in after such a change.
   */
  caughtUp(): Promise<void> {
    return this.tail.refresh();
  }

  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    return this.tail.close();
  }
}
