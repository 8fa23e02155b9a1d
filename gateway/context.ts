import type { Caller } from '../platform/auth/caller.js';
import type { LoggingContext } from '../platform/requestLog.js';

/** One request at the gateway. */
export interface GatewayContext extends LoggingContext {
  caller: Caller;
  /** The caller as subgraphs receive it, signed once per request on first use; null if anonymous. */
  forwardedIdentity(): Promise<string | null>;
}
