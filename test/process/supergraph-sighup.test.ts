import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, print, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startGatewayProcess, startTestGraph, type TestGraph } from '../harness/graph.js';
import { freePort, type ServiceProcess } from '../harness/services.js';
import { ORG } from '../subgraphs/meldingsboks/helpers.js';
import { until } from '../graph/subscriptionHelpers.js';

/**
 * The gateway as its container runs it (dist/gateway/main.js), with the file watch off: SIGHUP
 * alone reloads the supergraph, and the process, which Node's default would end on SIGHUP, goes
 * on serving on the same port.
 */

let db: TestDatabase;
let graph: TestGraph;
let gateway: ServiceProcess | undefined;
let dir: string;
let file: string;
let url: string;
let full: string;

const FOUNDED = `{ enhet(organisasjonsnummer: "${ORG.bakeri}") { navn stiftelsesdato } }`;

beforeAll(async () => {
  full = await readFile('schema/supergraph.graphql', 'utf8');
  dir = await mkdtemp(path.join(tmpdir(), 'dpv-sighup-'));
  file = path.join(dir, 'supergraph.graphql');
  const older = visit(parse(full), {
    ObjectTypeDefinition: (node) =>
      node.name.value === 'Enhet'
        ? { ...node, fields: node.fields?.filter((f) => f.name.value !== 'stiftelsesdato') }
        : undefined,
  });
  await writeFile(file, print(older));
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  const port = await freePort();
  url = `http://127.0.0.1:${port}/graphql`;
  gateway = startGatewayProcess(graph, port, {
    LOG_LEVEL: 'info',
    SUPERGRAPH_PATH: file,
    SUPERGRAPH_WATCH: 'false',
    // Load shedding is not what this is about, and the test machine is often busy.
    LOAD_SHED_LAG_MS: '60000',
  });
  await gateway.healthy(30_000);
}, 60_000);
afterAll(async () => {
  await gateway?.kill();
  await graph?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('SIGHUP', () => {
  it('reloads the supergraph in the running process; a changed file alone does not', async () => {
    expect(codes(await post(url, FOUNDED))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    const tmp = path.join(dir, 'next.tmp');
    await writeFile(tmp, full);
    await rename(tmp, file);
    // No watch: the file changed and nothing happened.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(codes(await post(url, FOUNDED))).toEqual(['GRAPHQL_VALIDATION_FAILED']);

    gateway!.child.kill('SIGHUP');
    await until(async () => (await post(url, FOUNDED)).data?.enhet != null);
    expect(gateway!.running).toBe(true);
    expect(gateway!.lines.filter((l) => l.msg === 'supergraph reloaded')).toMatchObject([
      { trigger: 'SIGHUP', generation: 2 },
    ]);

    // Again with nothing changed: the same generation, still running.
    gateway!.child.kill('SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect(gateway!.running).toBe(true);
    expect(gateway!.lines.filter((l) => l.msg === 'supergraph reloaded')).toHaveLength(1);
    const last = await post(url, FOUNDED);
    expect(last.errors).toBeUndefined();
  });
});
