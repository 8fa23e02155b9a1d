import path from 'node:path';
import { generateEnheter } from '../../subgraphs/enhetsregisteret/brreg/generate.js';
import { definition as enhetsregisteret } from '../../subgraphs/enhetsregisteret/index.js';
import { benchDatabase, withClient } from '../meldingsboks/postgres.js';
import { checkInbox, inboxBody, MESSAGES, readerHeaders, type InboxOptions } from './inbox.js';
import { sendMessages, startInboxGraph, subgraphUrl, waitForNotices } from './inboxGraph.js';
import { replaySubgraph, type ReplayedSubgraph } from './replay.js';
import type { Workload } from './workload.js';

/** As many callers as the bench's default connections: each connection its own. */
export const CALLERS = 50;

/**
 * {@link CALLERS} enheter of Enhetsregisteret's generated demo register (the seed's first ones
 * that are not deleted), each given an e-mail varslingsadresse so that varsling plans notices.
 */
function benchEnheter(): Array<{ org: string; navn: string }> {
  const out: Array<{ org: string; navn: string }> = [];
  // The seed's generated register (subgraphs/enhetsregisteret/seed.ts: 2 000 and 800).
  for (const e of generateEnheter({ enheter: 2000, underenheter: 800 })) {
    if (e.slettedato) continue;
    out.push({ org: e.organisasjonsnummer, navn: e.navn });
    if (out.length === CALLERS) break;
  }
  return out;
}

/**
 * The inbox, distinct callers: {@link CALLERS} enheter with {@link MESSAGES} messages each, and
 * connection `i` is enhet `i` reading its own inbox with its own token, so no two requests under
 * way ask the same of a subgraph and sharing fetches across requests cannot help. With `stored`,
 * the gateways reach the subgraphs through stand-ins that answer from answers recorded from the
 * real ones (bench/gateway/replay.ts), so that the subgraphs and PostgreSQL, which share the
 * second CPU with the load generator, do not saturate before a fast gateway does; without it,
 * the real subgraphs answer every fetch.
 */
export async function startDistinct(o: InboxOptions & { stored: boolean }): Promise<Workload> {
  const db = await benchDatabase(o.server.url, 'gateway_distinct', false);
  const graph = await startInboxGraph({ databaseUrl: db.url, secret: o.secret, log: o.log });
  const replayed: ReplayedSubgraph[] = [];
  const close = async () => {
    for (const r of replayed) await r.close();
    await graph.close();
  };
  try {
    const enheter = benchEnheter();
    await withClient(db.url, async (c) => {
      const schema = c.escapeIdentifier(enhetsregisteret.dbSchema);
      for (const e of enheter) {
        await c.query(
          `insert into ${schema}.varslingsadresse (organisasjonsnummer, kanal, adresse)
           values ($1, 'EPOST', $2) on conflict do nothing`,
          [e.org, `post@${e.org}.example`],
        );
      }
    });
    const orgs = enheter.map((e) => e.org);
    const names = new Map(enheter.map((e) => [e.org, e.navn]));
    const sent = await sendMessages(
      subgraphUrl(graph, 'meldingsboks'),
      graph.identity,
      orgs,
      MESSAGES,
      names,
    );
    await waitForNotices(subgraphUrl(graph, 'varsling'), graph.identity, sent);
    let urls = Object.fromEntries(graph.subgraphs.map((s) => [s.name, s.url]));
    if (o.stored) {
      for (const s of graph.subgraphs) {
        replayed.push(await replaySubgraph(s.name, s.url, graph.identity));
      }
      urls = Object.fromEntries(replayed.map((r) => [r.name, r.url]));
    }
    const name = o.stored ? 'callers' : 'callers-real';
    const supergraphPath = path.join(o.dataDir, `${name}.graphql`);
    await graph.writeSupergraph(supergraphPath, urls);
    const fetches = o.stored ? () => replayed.reduce((n, r) => n + r.requests(), 0) : graph.fetches;
    let missesAt = 0;
    let fetchesAt = 0;
    return {
      name,
      description:
        `${CALLERS} callers, each an enhet reading its own inbox (first ${MESSAGES}: title, ` +
        "sender's name, notification policy and notices) with its own token, one per connection; " +
        (o.stored
          ? 'subgraph answers replayed from answers recorded from the real subgraphs'
          : 'the real subgraphs and PostgreSQL answer every fetch'),
      supergraphPath,
      subgraphUrls: urls,
      body: inboxBody(orgs[0]!),
      headers: (gateway) =>
        readerHeaders(gateway, orgs[0]!, `bench-${orgs[0]}`, {
          devKeyPath: o.devKeyPath,
          identity: graph.identity,
        }),
      callers: (gateway) =>
        Promise.all(
          orgs.map(async (org) => ({
            body: inboxBody(org),
            headers: await readerHeaders(gateway, org, `bench-${org}`, {
              devKeyPath: o.devKeyPath,
              identity: graph.identity,
            }),
          })),
        ),
      check: (data, index) => {
        const problem = checkInbox(data);
        if (problem) return problem;
        const org = (data as { enhet?: { organisasjonsnummer?: string } }).enhet
          ?.organisasjonsnummer;
        return org === orgs[index] ? undefined : `asked for ${orgs[index]}'s inbox, got ${org}'s`;
      },
      fetches,
      note: o.stored
        ? () => {
            // Fetches the real subgraphs answered since the last note (the check and warm-up
            // record; a measured run should be all replays).
            const misses = replayed.reduce((n, r) => n + r.misses(), 0);
            const total = fetches();
            const note = `${total - fetchesAt - (misses - missesAt)} of ${total - fetchesAt} subgraph fetches replayed`;
            missesAt = misses;
            fetchesAt = total;
            return note;
          }
        : undefined,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
