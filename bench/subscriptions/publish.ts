import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { publishSql } from '../meldingsboks/latency.js';
import type { Published } from './protocol.js';

const now = () => performance.timeOrigin + performance.now();

/** The title of a message published in phase `tag` (a word of ours: no quotes). */
export function titleOf(tag: string): string {
  if (!/^[\w./-]+$/.test(tag)) throw new Error(`bad phase tag ${tag}`);
  return `Abonnementstest ${tag}`;
}

export interface PacedResult {
  published: Published;
  /** Messages whose transaction failed (not in `published`). */
  failed: number;
  firstFailure?: string;
  /** From the first publish to the last acknowledged commit, ms. */
  wallMs: number;
  /** Messages still waiting for a connection when the schedule ended (the database lagging). */
  maxInFlight: number;
}

/** Publishes meldingsboks messages straight into its tables, as latency.ts does. */
export class MessagePublisher {
  private readonly pool: pg.Pool;

  constructor(databaseUrl: string, connections = 8) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      options: '-c search_path=meldingsboks,public',
      max: connections,
    });
    // An idle connection dropped (the server stopping at the end) must not crash the bench.
    this.pool.on('error', () => {});
  }

  /**
   * One transaction with a message to each recipient. Resolves with the ids and the time the
   * commit was acknowledged (epoch ms, comparable across processes on this machine).
   */
  async publish(recipients: string[], tag: string): Promise<{ ids: string[]; at: number }> {
    const messages = recipients.map((recipient) => ({ id: randomUUID(), recipient }));
    await this.pool.query(publishSql(messages, titleOf(tag)));
    return { ids: messages.map((m) => m.id), at: now() };
  }

  /**
   * `count` messages, one per transaction, at a paced `rate` per second (as latency.ts paces
   * them: whatever is due each millisecond is started, without waiting for earlier commits), the
   * k-th to recipient `next()`, titled with `tag`. Each message is timed from its commit's
   * acknowledgement.
   */
  async paced(
    rate: number,
    count: number,
    orgnrs: readonly string[],
    next: () => number,
    tag: string,
  ): Promise<PacedResult> {
    const ids: string[] = [];
    const recipients: number[] = [];
    const committedAt: number[] = [];
    let failed = 0;
    let firstFailure: string | undefined;
    let inFlight = 0;
    let maxInFlight = 0;
    const pending: Array<Promise<void>> = [];
    const perMs = rate / 1000;
    const began = performance.now();
    for (let sent = 0; sent < count;) {
      const due = Math.min(count, Math.floor((performance.now() - began) * perMs) + 1);
      for (; sent < due; sent++) {
        const r = next();
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        pending.push(
          this.publish([orgnrs[r]!], tag).then(
            ({ ids: [id], at }) => {
              inFlight--;
              ids.push(id!);
              recipients.push(r);
              committedAt.push(at);
            },
            (err: unknown) => {
              inFlight--;
              failed++;
              firstFailure ??= (err as Error).message;
            },
          ),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    return {
      published: {
        ids,
        recipients: Int32Array.from(recipients),
        committedAt: Float64Array.from(committedAt),
      },
      failed,
      ...(firstFailure ? { firstFailure } : {}),
      wallMs: performance.now() - began,
      maxInFlight,
    };
  }

  /**
   * `count` messages at once: transactions of `chunk` messages, as many under way as the pool
   * has connections; each message timed from its transaction's commit.
   */
  async burst(
    count: number,
    orgnrs: readonly string[],
    next: () => number,
    tag: string,
    chunk = 200,
  ): Promise<PacedResult> {
    const ids: string[] = [];
    const recipients: number[] = [];
    const committedAt: number[] = [];
    let failed = 0;
    let firstFailure: string | undefined;
    const began = performance.now();
    const work: Array<Promise<void>> = [];
    for (let sent = 0; sent < count; sent += chunk) {
      const rs = Array.from({ length: Math.min(chunk, count - sent) }, next);
      work.push(
        this.publish(
          rs.map((r) => orgnrs[r]!),
          tag,
        ).then(
          ({ ids: done, at }) => {
            done.forEach((id, k) => {
              ids.push(id);
              recipients.push(rs[k]!);
              committedAt.push(at);
            });
          },
          (err: unknown) => {
            failed += rs.length;
            firstFailure ??= (err as Error).message;
          },
        ),
      );
    }
    await Promise.all(work);
    return {
      published: {
        ids,
        recipients: Int32Array.from(recipients),
        committedAt: Float64Array.from(committedAt),
      },
      failed,
      ...(firstFailure ? { firstFailure } : {}),
      wallMs: performance.now() - began,
      maxInFlight: work.length,
    };
  }

  async query<T extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>(sql, values)).rows;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
