import type { Caller } from '../platform/auth/caller.js';
import type { LoggingContext } from '../platform/http/requestLog.js';
import type { BudgetKey } from './edge/budget.js';

/** One request at the gateway. */
export interface GatewayContext extends LoggingContext {
  caller: Caller;
  /** Whose rate-limit budget the request spends. */
  budget: BudgetKey;
  /** The caller as subgraphs receive it, signed once per request on first use; null if anonymous. */
  forwardedIdentity(): Promise<string | null>;
  /** True once the client has gone before its answer ended (an incremental answer stops). */
  gone?: () => boolean;
}
