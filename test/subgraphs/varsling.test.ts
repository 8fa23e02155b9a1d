import { beforeAll, describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/varsling/index.js';
import { asCaller } from '../harness/auth.js';
import { codes, post } from '../harness/graphql.js';
import { expectCommittedSdl, useTestSubgraph } from '../harness/graph.js';

// No dispatcher: its polling would count among the statements measured here.
const fixture = useTestSubgraph(definition, { settings: { dispatch: false } });
const { sql } = fixture;

beforeAll(async () => {
  // A sender-only policy, so that every level of specificity is present.
  await fixture.db.query(
    `insert into varsling.notification_policy (name, channel, sender_orgnr) values ('Skatteetaten: SMS', 'SMS', '974761076')`,
  );
});

const POLICY = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Message { id notificationPolicy { name channel } } } }`;
const message = (id: string, sender: string, serviceCode: string) => ({
  __typename: 'Message',
  id,
  serviceCode,
  sender: { organisasjonsnummer: sender },
});

describe('varsling subgraph alone', () => {
  it('serves the SDL committed in schema/', () => expectCommittedSdl(fixture.subgraph));

  it('applies the most specific policy: sender + service > service > sender > default', async () => {
    sql.reset();
    const r = await post(
      fixture.subgraph.url,
      POLICY,
      {
        r: [
          message('a', '958935420', '4255/7'), // Oslo kommune + næringsutvikling: exact scope
          message('b', '974761076', '4255/8'), // Skatteetaten + skatter: service beats sender
          message('c', '974761076', '4255/1'), // Skatteetaten, other service: sender policy
          message('d', '974760673', '4255/10'), // nothing specific: the default
        ],
      },
      await asCaller({ org: '310012343', scope: 'dpv:read' }),
    );
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
    const r = await post(
      fixture.subgraph.url,
      '{ policies { name channel } }',
      {},
      await asCaller({ scope: 'varsling:admin' }),
    );
    expect(r.data?.policies).toHaveLength(4);
    expect(r.data?.policies).toContainEqual({
      name: 'Skatter og avgifter: SMS',
      channel: 'SMS_PREFERRED',
    });
  });

  it('shows policies only to admins, and a message policy only to callers of the post service', async () => {
    const list = '{ policies { name } }';
    expect(codes(await post(fixture.subgraph.url, list))).toEqual(['FORBIDDEN']);
    const reader = await asCaller({ org: '310012343', scope: 'dpv:read' });
    expect(codes(await post(fixture.subgraph.url, list, {}, reader))).toEqual(['FORBIDDEN']);
    const anonymous = await post(fixture.subgraph.url, POLICY, {
      r: [message('a', '958935420', '4255/7')],
    });
    expect(codes(anonymous)).toEqual(['FORBIDDEN']);
    expect(anonymous.data?._entities[0].notificationPolicy).toBeNull();
  });
});
