import type { Caller } from '../auth/caller.js';
import {
  CALLER_HEADER,
  REQUEST_ID_HEADER,
  type InternalIdentity,
} from '../auth/internalIdentity.js';
import { ClientError, ErrorCode } from '../graphql/errors.js';

/**
 * A subgraph's client of another subgraph's GraphQL API, calling as the service itself
 * (`service:<name>`, with only the scopes it is given) and signed like the gateway's calls.
 */
export class PeerClient {
  private readonly caller: Caller;

  constructor(
    private readonly peer: string,
    private readonly url: string,
    private readonly identity: InternalIdentity,
    self: string,
    scopes: readonly string[] = [],
    private readonly timeoutMs = 5_000,
  ) {
    this.caller = Object.freeze({
      anonymous: false,
      sub: `service:${self}`,
      org: null,
      pid: null,
      actingFor: null,
      scopes: new Set(scopes),
    });
  }

  /** The data of `query`; throws SUBGRAPH_UNAVAILABLE when the peer cannot answer. */
  async request<T>(
    query: string,
    variables: Record<string, unknown>,
    requestId?: string,
  ): Promise<T> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      [CALLER_HEADER]: await this.identity.sign(this.caller),
    };
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    let body: { data?: T; errors?: Array<{ message: string }> };
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = (await res.json()) as typeof body;
    } catch (err) {
      throw this.unavailable((err as Error).message, 'unreachable');
    }
    if (body.errors?.length || !body.data) {
      throw this.unavailable(body.errors?.map((e) => e.message).join('; ') ?? 'no data', 'errors');
    }
    return body.data;
  }

  /**
   * `reason` says whether the peer could not be reached (or answered no JSON in time), which may
   * pass by itself, or answered with errors, which a retry of the same request may not mend.
   */
  private unavailable(message: string, reason: 'unreachable' | 'errors'): ClientError {
    return new ClientError(
      ErrorCode.SUBGRAPH_UNAVAILABLE,
      `${this.peer} could not be asked: ${message}`,
      { serviceName: this.peer, reason },
    );
  }
}
