import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Caller } from '../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { addressKey } from './clientAddress.js';

/** Budgets of one kind of caller. */
export interface Budget {
  /** Cost points (an operation's measured cost, at least 1) one caller may spend per window. */
  points: number;
  /** Requests (HTTP) one caller may have in flight on one gateway instance. */
  inFlight: number;
}

export interface RateLimits {
  /** Length of a budget window in seconds. */
  windowSeconds: number;
  /** Per verified token's `org` + `sub`. */
  caller: Budget;
  /** Per client address (an IPv6 address by its /64). */
  anonymous: Budget;
  /**
   * A refusal is answered after this many ms (at most {@link MAX_HELD} held at once), so that a
   * client asking again at once, in a loop, asks at most once per this long per connection.
   * @default 0
   */
  tarpitMs?: number;
}

/** Refusals held back at once, over all callers; past it, refusals go out at once. */
export const MAX_HELD = 10_000;

/** Who a budget belongs to. */
export interface BudgetKey {
  key: string;
  kind: 'caller' | 'anonymous';
}

/** The budget key of a caller: its token's organisation and subject, else its address. */
export function budgetKeyOf(caller: Caller, address: string | undefined): BudgetKey {
  if (!caller.anonymous)
    return { key: `t:${caller.org ?? '-'}:${caller.sub ?? '-'}`, kind: 'caller' };
  return { key: `a:${addressKey(address)}`, kind: 'anonymous' };
}

/** What a spend left: the figures of the IETF `RateLimit` header. */
export interface Spent {
  remaining: number;
  /** Seconds until the window ends. */
  resetSeconds: number;
}

/**
 * Budgets in cost points per window, shared by every gateway instance through the gateway's
 * PostgreSQL schema (rate-limiter-flexible's PostgreSQL store: one upsert per operation), and a
 * cap on each caller's requests in flight, which is per instance: it guards this process's event
 * loop and memory, and no count is left behind when an instance dies. A caller whose window is
 * spent is refused from memory, before its request is parsed, until the window ends. When
 * PostgreSQL cannot answer within the pool's timeout, each instance spends from a budget of its own.
 */
export class CallerBudgets {
  private readonly limiters: Record<BudgetKey['kind'], RateLimiterAbstract>;
  private readonly inFlight = new Map<string, number>();
  /** Callers refused until the end of their window (epoch ms). */
  private readonly exhausted = new LRUCache<string, number>({ max: 100_000 });
  private held = 0;

  constructor(
    readonly limits: RateLimits,
    pool: pg.Pool | undefined,
    private readonly log: Logger,
  ) {
    const make = (kind: BudgetKey['kind']) => {
      const points = limits[kind].points;
      const base = { points, duration: limits.windowSeconds, keyPrefix: kind };
      if (!pool) return new RateLimiterMemory(base);
      return new RateLimiterPostgres({
        ...base,
        storeClient: pool,
        storeType: 'pool',
        schemaName: 'gateway',
        tableName: 'rate_limit_budget',
        tableCreated: true,
        insuranceLimiter: new RateLimiterMemory(base),
      });
    };
    this.limiters = { caller: make('caller'), anonymous: make('anonymous') };
  }

  /** Throws RATE_LIMITED while the caller's window is spent; costs no I/O. */
  refuseIfExhausted(who: BudgetKey): void {
    const until = this.exhausted.get(who.key);
    if (until === undefined) return;
    const ms = until - Date.now();
    if (ms <= 0) {
      this.exhausted.delete(who.key);
      return;
    }
    throw this.rateLimited(who, ms, 'budget');
  }

  /**
   * Takes one of the caller's in-flight places; returns the function that gives it back, or
   * throws RATE_LIMITED when all are taken.
   */
  enter(who: BudgetKey): () => void {
    const open = this.inFlight.get(who.key) ?? 0;
    const max = this.limits[who.kind].inFlight;
    if (open >= max) throw this.rateLimited(who, 1000, 'inFlight');
    this.inFlight.set(who.key, open + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const now = (this.inFlight.get(who.key) ?? 1) - 1;
      if (now <= 0) this.inFlight.delete(who.key);
      else this.inFlight.set(who.key, now);
    };
  }

  /** Spends an operation's cost; throws RATE_LIMITED (with the headers) when it is over budget. */
  async spend(who: BudgetKey, cost: number): Promise<Spent> {
    const points = Math.max(1, Math.ceil(cost));
    try {
      const res = await this.limiters[who.kind].consume(who.key, points);
      return this.spent(res);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        // No store and no insurance answered: let the operation through rather than fail it.
        this.log.warn({ err }, 'rate limit store unavailable');
        return { remaining: this.limits[who.kind].points, resetSeconds: this.limits.windowSeconds };
      }
      const ms = Math.max(err.msBeforeNext, 1);
      this.exhausted.set(who.key, Date.now() + ms);
      throw this.rateLimited(who, ms, 'budget');
    }
  }

  /** Waits before a refusal goes out (see {@link RateLimits.tarpitMs}). */
  async pace(): Promise<void> {
    const ms = this.limits.tarpitMs ?? 0;
    if (ms <= 0 || this.held >= MAX_HELD) return;
    this.held++;
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      this.held--;
    }
  }

  /** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers) for an answer. */
  headers(who: BudgetKey, spent?: Spent): Array<[string, string]> {
    const { points } = this.limits[who.kind];
    const { remaining, resetSeconds } = spent ?? {
      remaining: this.exhausted.has(who.key) ? 0 : points,
      resetSeconds: this.limits.windowSeconds,
    };
    return [
      ['RateLimit-Policy', `"${who.kind}";q=${points};w=${this.limits.windowSeconds}`],
      ['RateLimit', `"${who.kind}";r=${remaining};t=${resetSeconds}`],
    ];
  }

  private spent(res: RateLimiterRes): Spent {
    return {
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(0, Math.ceil(res.msBeforeNext / 1000)),
    };
  }

  private rateLimited(who: BudgetKey, ms: number, limit: 'budget' | 'inFlight'): ClientError {
    const retryAfter = Math.max(1, Math.ceil(ms / 1000));
    const message =
      limit === 'budget'
        ? `Rate limit: this ${who.kind === 'caller' ? 'token' : 'address'} has spent its ${this.limits[who.kind].points} cost points for this ${this.limits.windowSeconds} s window. Retry after ${retryAfter} s.`
        : `Rate limit: at most ${this.limits[who.kind].inFlight} requests in flight at once per ${who.kind === 'caller' ? 'token' : 'address'}.`;
    const headers = new Map<string, string>([
      ['retry-after', String(retryAfter)],
      ...this.headers(
        who,
        limit === 'budget' ? { remaining: 0, resetSeconds: retryAfter } : undefined,
      ).map(([k, v]) => [k.toLowerCase(), v] as [string, string]),
    ]);
    return new ClientError(ErrorCode.RATE_LIMITED, message, {
      limit,
      retryAfter,
      http: { status: 429, headers },
    });
  }
}
