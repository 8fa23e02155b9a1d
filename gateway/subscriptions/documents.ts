import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLError,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { coded } from '../../platform/http/subscriptions.js';

/** A parsed, valid document, or the errors that parsing or validating it gave. */
export type ParsedDocument = DocumentNode | readonly GraphQLError[];

export interface DocumentCacheOptions {
  /** Production: introspection is refused. */
  production: boolean;
  /** Documents kept. @default 1000 */
  maxDocuments?: number;
  /**
   * Total length of the query texts kept, in characters. Documents come from clients, each as
   * long as `LIMIT_MAX_DOCUMENT_BYTES` (32 KB); parsed, one takes some 45 bytes per character
   * (a typical subscription) to 145 (a dense one): this bounds the cache near 12 to 38 MB,
   * about Apollo Server's document store over HTTP (30 MiB).
   * @default 262 144 (256 Ki)
   */
  maxChars?: number;
}

/**
 * The socket's documents by query text, each parsed and validated once while it stays in the
 * cache (least recently used out first, bounded by count and by total text length).
 */
export class DocumentCache {
  private readonly cache: LRUCache<string, ParsedDocument>;
  private readonly rules: readonly ValidationRule[];

  constructor(
    private readonly schema: GraphQLSchema,
    options: DocumentCacheOptions,
  ) {
    this.rules = [
      ...specifiedRules,
      ...(options.production ? [NoSchemaIntrospectionCustomRule] : []),
    ];
    this.cache = new LRUCache({
      max: options.maxDocuments ?? 1000,
      maxSize: options.maxChars ?? 256 * 1024,
      // At least 1: lru-cache refuses a size of 0 (the empty query).
      sizeCalculation: (_document, query) => Math.max(1, query.length),
    });
  }

  /** The document of `query`, parsed and validated on first use. */
  get(query: string): ParsedDocument {
    let document = this.cache.get(query);
    if (!document) {
      document = this.parse(query);
      this.cache.set(query, document);
    }
    return document;
  }

  private parse(query: string): ParsedDocument {
    try {
      const parsed = parse(query);
      const invalid = validate(this.schema, parsed, this.rules);
      return invalid.length > 0
        ? invalid.map((e) => coded(e, ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED))
        : parsed;
    } catch (err) {
      return [coded(err as GraphQLError, ApolloServerErrorCode.GRAPHQL_PARSE_FAILED)];
    }
  }
}
