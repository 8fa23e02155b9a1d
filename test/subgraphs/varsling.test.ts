import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import type { RunningSubgraph } from '../../platform/subgraph.js';
import { definition } from '../../subgraphs/varsling/index.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { post } from '../harness/graphql.js';
import { QueryCounter, startTestSubgraph } from '../harness/graph.js';

let db: TestDatabase;
let subgraph: RunningSubgraph;
const sql = new QueryCounter();

beforeAll(async () => {
  db = await createTestDatabase();
  subgraph = await startTestSubgraph(definition, db.url, sql);
  // A sender-only policy, so that every level of specificity is present.
  await db.query(
    `insert into varsling.notification_policy (name, channel, sender_orgnr) values ('Skatteetaten: SMS', 'SMS', '974761076')`,
  );
});
afterAll(async () => {
  await subgraph?.close();
  await db?.drop();
});

const POLICY = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message { id notificationPolicy { name channel } } } }`;
const message = (id: string, sender: string, serviceCode: string) => ({
  __typename: 'Message',
  id,
  serviceCode,
  sender: { organisasjonsnummer: sender },
});

describe('varsling subgraph alone', () => {
  it('serves the SDL committed in schema/', async () => {
    const r = await post(subgraph.url, '{ _service { sdl } }');
    expect(r.data?._service.sdl + '\n').toBe(await readFile('schema/varsling.graphql', 'utf8'));
  });

  it('applies the most specific policy: sender + service > service > sender > default', async () => {
    sql.reset();
    const r = await post(subgraph.url, POLICY, {
      r: [
        message('a', '958935420', '4255/7'), // Oslo kommune + næringsutvikling: exact scope
        message('b', '974761076', '4255/8'), // Skatteetaten + skatter: service beats sender
        message('c', '974761076', '4255/1'), // Skatteetaten, other service: sender policy
        message('d', '974760673', '4255/10'), // nothing specific: the default
      ],
    });
    expect(r.errors).toBeUndefined();
    expect(
      r.data?._entities.map(
        (e: { notificationPolicy: { name: string } }) => e.notificationPolicy.name,
      ),
    ).toEqual([
      'Oslo kommune, næringsutvikling: e-post',
      'Skatter og avgifter: SMS',
      'Skatteetaten: SMS',
      'Standard: e-post, SMS om e-post mangler',
    ]);
    expect(sql.count).toBe(1);
  });

  it('lists the policies', async () => {
    const r = await post(subgraph.url, '{ notificationPolicies { name channel } }');
    expect(r.data?.notificationPolicies).toHaveLength(4);
    expect(r.data?.notificationPolicies).toContainEqual({
      name: 'Skatter og avgifter: SMS',
      channel: 'SMS_PREFERRED',
    });
  });
});
