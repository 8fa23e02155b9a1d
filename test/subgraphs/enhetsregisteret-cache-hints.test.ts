import { describe, expect, it } from 'vitest';
import { SubgraphClient } from '../../gateway/executor/subgraphClient.js';
import { parseCachePolicy } from '../../platform/graphql/cacheControl.js';
import { definition } from '../../subgraphs/enhetsregisteret/index.js';
import { useTestSubgraph } from '../harness/graph.js';

/**
 * Cache hints: Enhetsregisteret marks the public register fields PUBLIC, Apollo Server's
 * cache-control plugin computes each answer's policy, and the gateway's subgraph client reads it
 * from the `cache-control` header. Anything without a PUBLIC hint makes the answer unshareable.
 */
const fixture = useTestSubgraph(definition);

const SKATTEETATEN = '974761076';
const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

async function policyOf(query: string, variables: Record<string, unknown> = {}) {
  const client = new SubgraphClient('enhetsregisteret', fixture.subgraph.url, { timeoutMs: 5_000 });
  try {
    const answer = await client.fetch(JSON.stringify({ query, variables }), HEADERS);
    return { ...answer, body: JSON.parse(answer.text) as { errors?: unknown; data?: unknown } };
  } finally {
    await client.close();
  }
}

const entities = (selection: string) =>
  policyOf(
    `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { ${selection} } } }`,
    { r: [{ __typename: 'Enhet', organisasjonsnummer: SKATTEETATEN }] },
  );

describe('cache hints of Enhetsregisteret, as the gateway reads them', () => {
  it('an _entities answer of public register fields is PUBLIC for 300 s', async () => {
    const r = await entities('navn organisasjonsform { kode beskrivelse } konkurs');
    expect(r.body.errors).toBeUndefined();
    expect(r.cachePolicy).toEqual({ maxAge: 300, scope: 'PUBLIC' });
  });

  it('a query of public fields is PUBLIC too', async () => {
    const r = await policyOf(`{ enhet(organisasjonsnummer: "${SKATTEETATEN}") { navn } }`);
    expect(r.body.errors).toBeUndefined();
    // The root field takes the hint of the type it returns.
    expect(r.cachePolicy).toEqual({ maxAge: 300, scope: 'PUBLIC' });
  });

  it.each([
    ['varslingsadresser (private, refused to anonymous)', 'navn varslingsadresser { adresse }'],
    ['roller (no hint)', 'navn roller { type { kode } }'],
    ['overordnetEnhet (no hint: private by default)', 'navn overordnetEnhet { navn }'],
  ])('an answer with %s is not shareable', async (_, selection) => {
    const r = await entities(selection);
    expect(r.cachePolicy).toBeUndefined();
  });
});

describe('parseCachePolicy', () => {
  it.each([
    ['max-age=300, public', { maxAge: 300, scope: 'PUBLIC' }],
    ['max-age=60, private', { maxAge: 60, scope: 'PRIVATE' }],
    ['public, max-age=5', { maxAge: 5, scope: 'PUBLIC' }],
    ['max-age=60', { maxAge: 60, scope: 'PRIVATE' }],
    ['max-age=60, public, private', { maxAge: 60, scope: 'PRIVATE' }],
    ['no-store', undefined],
    ['max-age=0, public', undefined],
    ['max-age=abc, public', undefined],
    ['public', undefined],
    [undefined, undefined],
  ])('%s', (header, policy) => {
    expect(parseCachePolicy(header)).toEqual(policy);
  });
});
