import { Pool, errors as undiciErrors } from 'undici';
import { GraphQLError } from 'graphql';
import { parseCachePolicy, type CachePolicy } from '../../platform/graphql/cacheControl.js';
import { ErrorCode } from '../../platform/graphql/errors.js';

export type { CachePolicy } from '../../platform/graphql/cacheControl.js';

/** What a subgraph answered, parsed. */
export interface SubgraphResponse {
  data?: Record<string, unknown> | null;
  errors?: readonly SubgraphError[];
  extensions?: Record<string, unknown>;
}

export interface SubgraphError {
  message?: string;
  path?: readonly (string | number)[];
  locations?: unknown;
  extensions?: Record<string, unknown>;
}

/** One fetch's answer: the raw body and the cache policy the subgraph gave it. */
export interface SubgraphFetch {
  text: string;
  /**
   * From the answer's `cache-control` header (`max-age=N, public|private`, as Apollo Server's
   * cache-control plugin computes it from the fields' hints); undefined when it is not
   * cacheable (`no-store`, no header, an error status). Only a PUBLIC policy lets the gateway
   * share one answer among callers.
   */
  cachePolicy: CachePolicy | undefined;
}

export interface SubgraphClientOptions {
  /** Deadline for the response headers and for each pause in the body, in ms. */
  timeoutMs: number;
  /** Keep-alive connections to the subgraph. @default 128 */
  connections?: number;
}

/**
 * HTTP to one subgraph over a keep-alive connection pool (undici). Sends a prepared JSON body and
 * answers the parsed GraphQL response; a transport failure, a timeout or a non-GraphQL answer
 * becomes a GraphQLError naming the subgraph with a stable code.
 */
export class SubgraphClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly options: SubgraphClientOptions,
  ) {
    const parsed = new URL(url);
    this.path = `${parsed.pathname}${parsed.search}`;
    this.pool = new Pool(parsed.origin, {
      connections: options.connections ?? 128,
      keepAliveTimeout: 30_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /** The raw response text of a POST of `body`; throws a GraphQLError when none usable came. */
  async post(body: string, headers: Record<string, string>): Promise<string> {
    return (await this.fetch(body, headers)).text;
  }

  /** A POST of `body`: the response text and its cache policy; throws as `post` does. */
  async fetch(body: string, headers: Record<string, string>): Promise<SubgraphFetch> {
    let status: number;
    let text: string;
    let cacheControl: string | string[] | undefined;
    try {
      const response = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers,
        body,
      });
      status = response.statusCode;
      cacheControl = response.headers['cache-control'];
      text = await response.body.text();
    } catch (err) {
      throw this.transportError(err);
    }
    if (status >= 200 && status < 300) return { text, cachePolicy: parseCachePolicy(cacheControl) };
    // A GraphQL answer with an error status (GraphQL over HTTP) is still an answer, never shared.
    if (looksLikeGraphQL(text)) return { text, cachePolicy: undefined };
    throw new GraphQLError(
      `Subgraph "${this.name}" is unavailable: HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`,
      {
        extensions: {
          code: ErrorCode.SUBGRAPH_UNAVAILABLE,
          serviceName: this.name,
          response: { status },
        },
      },
    );
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private transportError(err: unknown): GraphQLError {
    const timedOut =
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError;
    const code = timedOut ? ErrorCode.SUBGRAPH_TIMEOUT : ErrorCode.SUBGRAPH_UNAVAILABLE;
    const reason = timedOut
      ? `no answer within ${this.options.timeoutMs} ms`
      : err instanceof Error
        ? ((err.message || (err as { code?: string }).code) ?? String(err))
        : String(err);
    return new GraphQLError(`Subgraph "${this.name}" is unavailable: ${reason}`, {
      extensions: { code, serviceName: this.name },
      originalError: err instanceof Error ? err : undefined,
    });
  }
}

function looksLikeGraphQL(text: string): boolean {
  if (!text.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return 'data' in parsed || Array.isArray(parsed.errors);
  } catch {
    return false;
  }
}

/** Parses a subgraph's answer; a body that is not a GraphQL response is an error. */
export function parseResponse(subgraph: string, text: string): SubgraphResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GraphQLError(`Subgraph "${subgraph}" answered with invalid JSON`, {
      extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: subgraph },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new GraphQLError(`Subgraph "${subgraph}" answered with something not GraphQL`, {
      extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, serviceName: subgraph },
    });
  }
  return parsed as SubgraphResponse;
}
