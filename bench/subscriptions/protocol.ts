/**
 * What bench/subscriptions.ts and its child processes (bench/subscriptions/clients.ts,
 * bench/subscriptions/subgraphs.ts) say to each other over Node's IPC channel (advanced
 * serialization, so typed arrays pass as they are). Every request carries an id; the answer
 * carries the same one.
 */

/** One subscriber: one graphql-ws connection with one subscription. */
export interface SubscriberSpec {
  /** Unique over the whole run. */
  index: number;
  /** `inbox`: messagePublished(recipient); `firm`: clientMessagePublished (its clients' inboxes). */
  kind: 'inbox' | 'firm';
  /** Recipient index (inbox) or firm index (firm). */
  target: number;
  /** The recipient's organisasjonsnummer (inbox only). */
  recipient?: string;
  /** Bearer token of the subscriber's organisation (dpv:read). */
  token: string;
  /** Local (source) address of the socket, to spread over more ephemeral ports. */
  localAddress?: string;
}

/** The messages published in one phase, in order. */
export interface Published {
  ids: string[];
  /** Recipient index of each message. */
  recipients: Int32Array;
  /** When its transaction's commit was acknowledged (epoch ms, sub-ms precision). */
  committedAt: Float64Array;
}

/** Which recipients are clients of which accounting firm. */
export interface FirmShape {
  firms: number;
  clientsPerFirm: number;
  /** Every stride-th recipient is a client, so that clients are spread over the recipients. */
  stride: number;
}

/**
 * The firm whose client recipient `r` is: the j-th client (recipient j × stride, j below
 * firms × clientsPerFirm) is firm j mod firms's; the rest have no accountant here.
 */
export function firmOf(r: number, shape: FirmShape): number | undefined {
  const { firms, clientsPerFirm, stride } = shape;
  if (firms === 0 || r % stride !== 0) return undefined;
  const j = r / stride;
  return j < firms * clientsPerFirm ? j % firms : undefined;
}

export type ClientRequest =
  | {
      id: number;
      type: 'open';
      url: string;
      /** `navn`: names from Enhetsregisteret in every event; `plain`: meldingsboks' fields only. */
      selection: 'navn' | 'plain';
      subscribers: SubscriberSpec[];
      timeoutMs: number;
    }
  | { id: number; type: 'status' }
  /** Closes these subscribers and leaves them out of every count from now on. */
  | { id: number; type: 'forget'; indices: number[] }
  /** Starts counting the events of messages titled with `tag` (see publish.ts titleOf). */
  | { id: number; type: 'phase'; title: string }
  | { id: number; type: 'collect'; published: Published; firms: FirmShape }
  | { id: number; type: 'close' };

export interface Opened {
  ok: number;
  /** Subscribers that did not connect, with why. */
  failed: Array<{ index: number; reason: string }>;
}

export interface Status {
  /** Subscribers that have not received any event yet (open ones only). */
  notReady: number[];
  /** Events of this phase's messages received (duplicates included). */
  received: number;
  /** Events of other messages received since the phase began (warm-up stragglers). */
  stale: number;
  /** Connections that closed, or subscriptions that failed, since they opened. */
  dropped: number;
  /** The same by reason. */
  drops: Record<string, number>;
}

export interface Collected {
  /** Publish → arrival, ms, of every expected event that arrived (first arrival). */
  latencies: Float64Array;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Events of this phase that the subscriber should not have got. */
  unexpected: number;
  /** Events whose sender (or recipient) had no navn: the rest of the plan failed. */
  missingNavn: number;
  /** GraphQL errors in results. */
  errors: number;
  /** Closes and failures, by reason, since the run began. */
  drops: Record<string, number>;
  firstError?: string;
}

export type ClientReply =
  | ({ id: number; type: 'opened' } & Opened)
  | ({ id: number; type: 'status' } & Status)
  | { id: number; type: 'phase' }
  | ({ id: number; type: 'collected' } & Collected)
  | { id: number; type: 'closed' }
  | { id: number; type: 'forgot' };

export interface SubgraphsRequest {
  type: 'start';
  databaseUrl: string;
  /** Shared with the gateway (INTERNAL_AUTH_SECRET). */
  secret: string;
  /** Varsling's engine (messages → notification orders). */
  varslingEngine: boolean;
  /** Count the ORM's SQL statements (MikroORM's query log: slows the subgraphs somewhat). */
  countQueries: boolean;
}

export type SubgraphsReply =
  | { type: 'started'; urls: Record<string, string> }
  | { type: 'failed'; error: string }
  /** Statements since the last ask, by "subgraph: statement". */
  | { type: 'queries'; counts: Record<string, number> };
