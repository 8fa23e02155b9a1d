import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type express from 'express';
import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import { checkDocumentSize, type OperationLimits } from '../limits.js';

/**
 * What the gateway accepts as the operations of one request, after the body is read and before
 * Apollo Server sees it: the trusted documents of a manifest (when one is configured) and
 * operation batching (a JSON array of operations, when allowed).
 */
export interface RequestOperationsOptions {
  /** Hash (or id) → document: only these run. Unset: any document, with APQ. */
  trustedDocuments?: ReadonlyMap<string, string> | undefined;
  /** Largest number of operations in one JSON array body; 0: batching is off. */
  maxBatchSize: number;
}

/** One operation as a client sends it (one element of a batch, or the whole body). */
interface OperationRequest {
  query?: unknown;
  documentId?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/**
 * Reads a manifest of trusted documents: either an object of hash → document, or the
 * manifest Apollo's generate-persisted-query-manifest writes
 * (`{ format: "apollo-persisted-query-manifest", operations: [{ id, body }] }`). Each key of
 * the plain form must be the document's SHA-256 (hex), so that a client may send it as an
 * APQ hash; Apollo's ids are taken as they are.
 */
export function loadTrustedDocuments(file: string): Map<string, string> {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const documents = new Map<string, string>();
  if (isApolloManifest(raw)) {
    for (const op of raw.operations) documents.set(op.id, op.body);
  } else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [hash, document] of Object.entries(raw)) {
      if (typeof document !== 'string') throw new Error(`${file}: ${hash} is not a document`);
      if (sha256(document) !== hash.toLowerCase()) {
        throw new Error(`${file}: ${hash} is not the SHA-256 of its document`);
      }
      documents.set(hash.toLowerCase(), document);
    }
  } else {
    throw new Error(`${file}: neither an object of hash → document nor an Apollo manifest`);
  }
  return documents;
}

function isApolloManifest(
  raw: unknown,
): raw is { operations: readonly { id: string; body: string }[] } {
  const m = raw as { format?: unknown; operations?: unknown };
  return (
    m?.format === 'apollo-persisted-query-manifest' &&
    Array.isArray(m.operations) &&
    m.operations.every(
      (op: { id?: unknown; body?: unknown }) =>
        typeof op?.id === 'string' && typeof op.body === 'string',
    )
  );
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The id a request names its document by: `documentId`, or APQ's `sha256Hash`. */
function documentIdOf(op: OperationRequest): string | undefined {
  if (typeof op.documentId === 'string') return op.documentId;
  const pq = (op.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  return typeof pq?.sha256Hash === 'string' ? pq.sha256Hash.toLowerCase() : undefined;
}

/**
 * The document a request runs when only trusted documents may: the manifest's document of its
 * id. A request without an id, or with one the manifest lacks, or with a `query` other than
 * the manifest's, is refused (Apollo Router's codes). Returns the operation with `query` set
 * and the id and `persistedQuery` removed (so that APQ has nothing to register).
 */
export function resolveTrusted<T extends OperationRequest>(
  op: T,
  documents: ReadonlyMap<string, string>,
): T {
  const id = documentIdOf(op);
  if (id === undefined) {
    throw new ClientError(
      ErrorCode.PERSISTED_QUERY_ID_REQUIRED,
      'Only trusted documents run here: send a documentId (or a persistedQuery sha256Hash).',
      { http: { status: 400 } },
    );
  }
  const document = documents.get(id);
  if (document === undefined) {
    throw new ClientError(
      ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
      `The document ${id.slice(0, 80)} is not in the list of trusted documents.`,
      { http: { status: 400 } },
    );
  }
  if (op.query !== undefined && op.query !== '' && op.query !== document) {
    throw new ClientError(
      ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
      'The query sent is not the trusted document of its id.',
      { http: { status: 400 } },
    );
  }
  const rest: Record<string, unknown> = { ...(op as Record<string, unknown>), query: document };
  delete rest.documentId;
  const extensions = { ...((op.extensions ?? {}) as Record<string, unknown>) };
  delete extensions.persistedQuery;
  if (Object.keys(extensions).length > 0) rest.extensions = extensions;
  else delete rest.extensions;
  return rest as T;
}

/**
 * Express middleware after the JSON body parser: refuses a batch when batching is off or the
 * batch is larger than the cap, checks each batched document's size (Apollo then runs each
 * operation through the limits and spends its cost, one by one), and, with trusted documents,
 * puts the manifest's document in place of each id (POST bodies and GET query strings).
 */
export function requestOperations(
  options: RequestOperationsOptions,
  limits: OperationLimits,
  refuse: (res: express.Response, error: ClientError) => void,
): express.RequestHandler {
  const { trustedDocuments, maxBatchSize } = options;
  return (req, res, next) => {
    try {
      const body = req.body as unknown;
      if (Array.isArray(body)) {
        if (body.length > maxBatchSize) {
          throw new ClientError(
            ErrorCode.OPERATION_LIMIT,
            maxBatchSize === 0
              ? 'Operation batching is off here: send one operation per request.'
              : `A batch holds at most ${maxBatchSize} operations: ${body.length} were sent.`,
            { limit: 'batchSize', max: maxBatchSize, actual: body.length, http: { status: 400 } },
          );
        }
        for (const op of body as OperationRequest[]) checkDocumentSize(op?.query, limits);
        if (trustedDocuments) {
          req.body = (body as OperationRequest[]).map((op) =>
            resolveTrusted(op ?? {}, trustedDocuments),
          );
        }
      } else if (trustedDocuments && req.method === 'POST') {
        req.body = resolveTrusted((body ?? {}) as OperationRequest, trustedDocuments);
      } else if (trustedDocuments && req.method === 'GET') {
        req.url = trustedGetUrl(req.url, trustedDocuments);
      }
    } catch (err) {
      if (err instanceof ClientError) return refuse(res, err);
      return next(err);
    }
    next();
  };
}

/** A GET's URL with the manifest's document as `query` in place of its id. */
function trustedGetUrl(url: string, documents: ReadonlyMap<string, string>): string {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  let extensions: unknown;
  const rawExtensions = params.get('extensions');
  if (rawExtensions !== null) {
    try {
      extensions = JSON.parse(rawExtensions);
    } catch {
      extensions = undefined;
    }
  }
  const op = resolveTrusted(
    {
      query: params.get('query') ?? undefined,
      documentId: params.get('documentId') ?? undefined,
      extensions,
    },
    documents,
  );
  params.delete('documentId');
  params.delete('extensions');
  params.set('query', op.query as string);
  if (op.extensions) params.set('extensions', JSON.stringify(op.extensions));
  return `${q < 0 ? url : url.slice(0, q)}?${params.toString()}`;
}
