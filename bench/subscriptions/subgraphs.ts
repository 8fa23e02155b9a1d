/**
 * A child process of bench/subscriptions.ts running the three real subgraphs on the bench's
 * database (demo data loaded on first start), as bench/gateway/inbox.ts starts them; apart from
 * the bench process, so that the publisher's commit times are not held up by the subgraphs'
 * work. Answers with their URLs over IPC; closes them when told to, or when the bench goes away.
 */
import { InternalIdentity } from '../../platform/auth/internalIdentity.js';
import { createLogger } from '../../platform/runtime/logger.js';
import { startSubgraph, type RunningSubgraph } from '../../platform/subgraph.js';
import { definition as enhetsregisteret } from '../../subgraphs/enhetsregisteret/index.js';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { definition as varsling } from '../../subgraphs/varsling/index.js';
import type { SubgraphsReply, SubgraphsRequest } from './protocol.js';

const log = createLogger('bench', 'warn');
const subgraphs: RunningSubgraph[] = [];
let closing: Promise<void> | undefined;
/** SQL statements by subgraph and statement (its first words), when counting. */
const queries = new Map<string, number>();
const counter = (subgraph: string) => (sql: string) => {
  const statement = sql
    .replace(/^\[query\]\s*/, '')
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, '?')
    .replace(/\b\d+\b/g, '?')
    .slice(0, 90);
  const key = `${subgraph}: ${statement}`;
  queries.set(key, (queries.get(key) ?? 0) + 1);
};

const close = () =>
  (closing ??= (async () => {
    for (const s of subgraphs.reverse()) await s.close().catch(() => {});
  })());

async function start(o: SubgraphsRequest): Promise<Record<string, string>> {
  const identity = new InternalIdentity(o.secret, 3600);
  const common = { databaseUrl: o.databaseUrl, host: '127.0.0.1', port: 0, log, identity };
  const onQuery = (name: string) => (o.countQueries ? { onQuery: counter(name) } : {});
  const register = await startSubgraph(enhetsregisteret, {
    ...common,
    ...onQuery('enhetsregisteret'),
    seedWhenEmpty: true,
  });
  subgraphs.push(register);
  const boks = await startSubgraph(meldingsboks, {
    ...common,
    ...onQuery('meldingsboks'),
    seedWhenEmpty: true,
    peers: { enhetsregisteret: register.url },
    settings: { publishIntervalMs: 100, outboxPollMs: 200 },
  });
  subgraphs.push(boks);
  const notices = await startSubgraph(varsling, {
    ...common,
    ...onQuery('varsling'),
    seedWhenEmpty: true,
    peers: { enhetsregisteret: register.url, meldingsboks: boks.url },
    settings: { engine: o.varslingEngine, dispatch: false, outboxPollMs: 200 },
  });
  subgraphs.push(notices);
  return Object.fromEntries(subgraphs.map((s) => [s.name, s.url]));
}

const send = (reply: SubgraphsReply) => process.send!(reply);

process.on('message', (message: SubgraphsRequest | { type: 'close' } | { type: 'queries' }) => {
  if (message.type === 'queries') {
    send({ type: 'queries', counts: Object.fromEntries(queries) });
    queries.clear();
  } else if (message.type === 'start') {
    start(message).then(
      (urls) => send({ type: 'started', urls }),
      (err: unknown) => send({ type: 'failed', error: (err as Error).stack ?? String(err) }),
    );
  } else {
    void close().then(() => process.exit(0));
  }
});
process.on('disconnect', () => void close().then(() => process.exit(0)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void close().then(() => process.exit(0)));
}
