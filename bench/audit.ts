/**
 * `npm run bench:audit -- --audit <checkout> [--planner hive,apollo] [--suite <id>]`
 *
 * Runs The Guild's federation-gateway-audit (github.com/graphql-hive/federation-gateway-audit,
 * 46 suites, 199 cases) against our gateway, once per query planner, and prints the score and
 * every failing case. The audit is not part of this repository: clone it anywhere and install
 * its runtime dependencies there first (`npm ci --omit=dev`; its dev dependencies include a
 * package the registry no longer serves). Its TypeScript runs on this project's tsx and Node.
 *
 * For each suite the audit serves its subgraphs, writes their supergraph and starts the gateway
 * through a run script; this bench writes that script (into `<checkout>/gateways/dpv-graph/`)
 * so it starts `node dist/gateway/main.js` of this checkout with the limits opened, as the
 * peers in `bench:gateway` run. Prints figures; asserts nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { QUERY_PLANNERS, type QueryPlannerName } from '../gateway/executor/planners.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const { values } = parseArgs({
  options: {
    audit: { type: 'string' },
    planner: { type: 'string', default: QUERY_PLANNERS.join(',') },
    suite: { type: 'string' },
    'gateway-port': { type: 'string', default: '4010' },
    'audit-port': { type: 'string', default: '4210' },
  },
});
if (!values.audit) {
  console.error(
    'usage: npm run bench:audit -- --audit <federation-gateway-audit checkout> [--planner hive,apollo] [--suite <id>]',
  );
  process.exit(2);
}
const audit = path.resolve(values.audit);
const planners = values.planner.split(',').map((p) => {
  if (!(QUERY_PLANNERS as readonly string[]).includes(p)) throw new Error(`no planner ${p}`);
  return p as QueryPlannerName;
});
const gatewayPort = Number(values['gateway-port']);
const auditPort = Number(values['audit-port']);

if (!existsSync(path.join(audit, 'src/cli.ts'))) {
  throw new Error(`${audit} is not a federation-gateway-audit checkout (no src/cli.ts)`);
}
if (!existsSync(path.join(audit, 'node_modules/yargs'))) {
  throw new Error(`install the audit's dependencies first: (cd ${audit} && npm ci --omit=dev)`);
}
// graphql is only a peer of the audit's runtime dependencies: lend it ours (one copy, 16.x).
if (!existsSync(path.join(audit, 'node_modules/graphql'))) {
  symlinkSync(path.join(root, 'node_modules/graphql'), path.join(audit, 'node_modules/graphql'));
  console.log(`linked ${path.join(audit, 'node_modules/graphql')} to this project's graphql`);
}

const tsx = path.join(root, 'node_modules/.bin/tsx');
const gatewayDir = path.join(audit, 'gateways/dpv-graph');
mkdirSync(gatewayDir, { recursive: true });
const graphqlUrl = `http://127.0.0.1:${gatewayPort}/graphql`;
const readyUrl = `http://127.0.0.1:${gatewayPort}/ready`;
writeFileSync(
  path.join(gatewayDir, 'gateway.json'),
  JSON.stringify({ name: 'dpv-graph', graphql: graphqlUrl, health: readyUrl }, null, 2) + '\n',
);

/** The limits opened as for the peers (none of which limits depth, cost or rate). */
const OPEN_LIMITS = {
  LIMIT_MAX_DEPTH: '1000',
  LIMIT_MAX_ALIASES: '100000',
  LIMIT_MAX_ROOT_FIELDS: '100000',
  LIMIT_MAX_COST: '1000000000',
  RATE_LIMIT_POINTS: '1000000000000',
  RATE_LIMIT_IN_FLIGHT: '1000000',
  RATE_LIMIT_ANONYMOUS_POINTS: '1000000000000',
  RATE_LIMIT_ANONYMOUS_IN_FLIGHT: '1000000',
  LOAD_SHED_LAG_MS: '60000',
};

/** The audit's run script: fetch the suite's supergraph, then start our gateway on it. */
function writeRunScript(planner: QueryPlannerName) {
  const env = {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(gatewayPort),
    SUPERGRAPH_PATH: path.join(gatewayDir, 'supergraph.graphql'),
    LOG_LEVEL: 'warn',
    AUTH_JWKS_URL: '',
    GATEWAY_QUERY_PLANNER: planner,
    ...OPEN_LIMITS,
  };
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  writeFileSync(
    path.join(gatewayDir, 'run.sh'),
    [
      '#!/bin/sh',
      '# Written by dpv-graph: npm run bench:audit (rewritten on every run).',
      `cd ${q(audit)} && ${q(process.execPath)} ${q(tsx)} ./src/cli.ts supergraph --cwd ./gateways/dpv-graph --test "$1" --port ${auditPort} || exit 1`,
      `cd ${q(root)} && exec env ${Object.entries(env)
        .map(([k, v]) => `${k}=${q(v)}`)
        .join(' ')} ${q(process.execPath)} dist/gateway/main.js`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
}

/** Runs the audit once; resolves with its results file's text. */
function runAudit(planner: QueryPlannerName): Promise<string> {
  writeRunScript(planner);
  const results = `results-${planner}.txt`;
  const command = values.suite
    ? ['test-suite', '--test', values.suite]
    : ['test', '--write', results];
  const args = [
    tsx,
    './src/cli.ts',
    ...command,
    ...['--cwd', './gateways/dpv-graph', '--run-script', './run.sh'],
    ...['--graphql', graphqlUrl, '--healthcheck', readyUrl, '--port', String(auditPort)],
  ];
  return new Promise((resolve, reject) => {
    // Through env(1), so the audit inherits this environment with one variable set: our gateway
    // compiles its supergraph before /ready, which can take longer than the audit's 5 s default.
    const child = spawn('env', ['GATEWAY_TIMEOUT=30000', process.execPath, ...args], {
      cwd: audit,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the audit exited with ${code}`));
      if (values.suite) return resolve('');
      resolve(readFileSync(path.join(gatewayDir, results), 'utf8'));
    });
  });
}

/** Score and failing cases from the audit's results file (suite id, then `.`/`X` per case). */
function score(text: string) {
  const lines = text.split('\n');
  const failures: string[] = [];
  let passed = 0;
  let total = 0;
  for (let i = 0; i + 1 < lines.length && lines[i] !== ''; i += 2) {
    const [id, marks] = [lines[i]!, lines[i + 1]!];
    [...marks].forEach((mark, n) => {
      total++;
      if (mark === '.') passed++;
      else failures.push(`${id}_${n}`);
    });
  }
  return { passed, total, failures };
}

const rows: { planner: string; passed: number; total: number; failures: string[] }[] = [];
for (const planner of planners) {
  console.log(`\n== federation-gateway-audit, GATEWAY_QUERY_PLANNER=${planner}`);
  const text = await runAudit(planner);
  if (!values.suite) rows.push({ planner, ...score(text) });
}
if (rows.length > 0) {
  console.log('\n| planner | passed | failing cases |');
  console.log('| ------- | ------ | ------------- |');
  for (const r of rows) {
    console.log(`| ${r.planner} | ${r.passed}/${r.total} | ${r.failures.join(', ') || 'none'} |`);
  }
}
