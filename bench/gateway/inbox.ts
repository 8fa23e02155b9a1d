import path from 'node:path';
import { signDevToken } from '../../platform/auth/devKeys.js';
import { callerFrom } from '../../platform/auth/caller.js';
import { CALLER_HEADER, type InternalIdentity } from '../../platform/auth/internalIdentity.js';
import type { Logger } from '../../platform/runtime/logger.js';
import { benchDatabase, type BenchServer } from '../meldingsboks/postgres.js';
import { sendMessages, startInboxGraph, subgraphUrl, waitForNotices } from './inboxGraph.js';
import type { Workload } from './workload.js';

/** FJELLTOPP BAKERI AS, a demo enhet of Enhetsregisteret's seed. */
export const INBOX_ORG = '310012343';
export const MESSAGES = 50;

/**
 * The inbox page across the three subgraphs: messages (meldingsboks), each sender's name
 * (Enhetsregisteret) and the notification policy and notices of each message (varsling).
 */
export const INBOX_QUERY = /* GraphQL */ `
  query Inbox($org: String!) {
    enhet(organisasjonsnummer: $org) {
      organisasjonsnummer
      navn
      inbox(first: ${MESSAGES}) {
        totalCount
        nodes {
          id
          title
          status
          serviceCode
          sender {
            organisasjonsnummer
            navn
          }
          notificationPolicy {
            name
            channel
          }
          notifications {
            kind
            channel
            status
          }
        }
      }
    }
  }
`;

interface InboxData {
  enhet?: {
    inbox?: {
      nodes?: Array<{
        sender?: { navn?: string | null } | null;
        notificationPolicy?: { name?: string } | null;
      }>;
    };
  } | null;
}

/** Why `data` is not a full inbox page, or undefined. */
export function checkInbox(data: unknown): string | undefined {
  const nodes = (data as InboxData | null)?.enhet?.inbox?.nodes ?? [];
  if (nodes.length !== MESSAGES) {
    return `expected ${MESSAGES} messages in the inbox, got ${nodes.length}`;
  }
  if (nodes.some((n) => !n.sender?.navn)) return 'a message lacks its sender enhet name';
  if (nodes.some((n) => !n.notificationPolicy?.name)) {
    return 'a message lacks its notification policy';
  }
  return undefined;
}

/** The request body of `org`'s inbox page. */
export function inboxBody(org: string): string {
  return JSON.stringify({ query: INBOX_QUERY, operationName: 'Inbox', variables: { org } });
}

/**
 * What a client of `gateway` sends as `caller` with dpv:read: ours verifies the client's token and
 * signs the caller itself; the others pass on the caller header the client brings, signed here
 * for the length of a run.
 */
export async function readerHeaders(
  gateway: string,
  org: string,
  sub: string,
  o: { devKeyPath: string; identity: InternalIdentity },
): Promise<Record<string, string>> {
  if (gateway === 'ours') {
    const token = await signDevToken(o.devKeyPath, { sub, org, scope: 'dpv:read', ttl: 3600 });
    return { authorization: `Bearer ${token}` };
  }
  return { [CALLER_HEADER]: await o.identity.sign(callerFrom({ sub, org, scope: 'dpv:read' })) };
}

export interface InboxOptions {
  /** The bench's PostgreSQL server. */
  server: BenchServer;
  dataDir: string;
  /** Shared by our gateway (INTERNAL_AUTH_SECRET) and the subgraphs. */
  secret: string;
  /** The development key pair our gateway verifies client tokens with. */
  devKeyPath: string;
  log: Logger;
}

/**
 * This graph's inbox, one caller: the three real subgraphs in this process on a fresh database
 * (demo data loaded), {@link MESSAGES} messages sent to one enhet and published, and notification
 * orders planned by varsling's engine. Every connection repeats the same request of the same
 * caller: the best case for sharing fetches across requests.
 */
export async function startInbox(o: InboxOptions): Promise<Workload> {
  const db = await benchDatabase(o.server.url, 'gateway_inbox', false);
  const graph = await startInboxGraph({ databaseUrl: db.url, secret: o.secret, log: o.log });
  try {
    const boks = subgraphUrl(graph, 'meldingsboks');
    const names = new Map([[INBOX_ORG, 'FJELLTOPP BAKERI AS']]);
    const sent = await sendMessages(boks, graph.identity, [INBOX_ORG], MESSAGES, names);
    await waitForNotices(subgraphUrl(graph, 'varsling'), graph.identity, sent);
    const supergraphPath = path.join(o.dataDir, 'inbox.graphql');
    await graph.writeSupergraph(supergraphPath);
    return {
      name: 'inbox',
      description:
        `one enhet's inbox, first ${MESSAGES}: title, sender's name (Enhetsregisteret), ` +
        'notification policy and notices (varsling); one caller (the enhet, dpv:read) on every ' +
        'connection',
      supergraphPath,
      subgraphUrls: Object.fromEntries(graph.subgraphs.map((s) => [s.name, s.url])),
      body: inboxBody(INBOX_ORG),
      headers: (gateway) =>
        readerHeaders(gateway, INBOX_ORG, 'bench', {
          devKeyPath: o.devKeyPath,
          identity: graph.identity,
        }),
      check: checkInbox,
      fetches: graph.fetches,
      close: graph.close,
    };
  } catch (err) {
    await graph.close();
    throw err;
  }
}
