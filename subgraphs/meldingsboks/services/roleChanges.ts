import { OutboxTail } from '../../../platform/events/tail.js';
import type { Logger } from '../../../platform/runtime/logger.js';

/** Enhetsregisteret's role change feed, version 1 (its migration RoleChanges). */
export const ROLE_CHANGES_VIEW = 'enhetsregisteret.rolle_endring_v1';
export const ROLE_CHANGES_CHANNEL = 'enhetsregisteret_rolle_endring';

interface RoleChange {
  position: number;
  enheter: string[];
}

/** Something that keeps answers about roles in enheter. */
export interface RoleAnswers {
  invalidate(enhet: string): void;
}

/**
 * Follows Enhetsregisteret's role change feed from where it is at start, and drops the cached
 * answers (firms' and persons' roles, the feeds' access answers) about every enhet it names,
 * in feed order. Nothing before the start matters: caches begin empty.
 */
export class RoleChangeFollower {
  private readonly tail: OutboxTail<RoleChange>;

  constructor(
    databaseUrl: string,
    private readonly answers: readonly RoleAnswers[],
    log: Logger,
    pollMs: number,
  ) {
    this.tail = new OutboxTail<RoleChange>({
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
    this.tail.observe((rows) => {
      for (const row of rows) {
        for (const enhet of row.enheter) for (const a of this.answers) a.invalidate(enhet);
      }
    });
  }

  async start(): Promise<void> {
    await this.tail.start();
  }

  /**
   * Resolves once every role change committed before the call has been applied to the caches:
   * a feed awaits it before asking access for events that came in after such a change.
   */
  caughtUp(): Promise<void> {
    return this.tail.refresh();
  }

  close(): Promise<void> {
    return this.tail.close();
  }
}
