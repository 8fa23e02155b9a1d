import { describe, expect, it } from 'vitest';
import { useTestGraph } from '../harness/graph.js';

/**
 * `Cache-Control` through the real gateway and subgraphs: Enhetsregisteret hints its public
 * register fields PUBLIC for 300 s; an anonymous answer made only of them may be cached by
 * anyone, everything else (a token, a private or unhinted field, an error) is private, no-store.
 */
const fixture = useTestGraph();
const BAKERI = '310012343';

async function ask(selection: string, headers: Record<string, string> = {}) {
  const res = await fetch(fixture.graph.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query: `{ enhet(organisasjonsnummer: "${BAKERI}") { ${selection} } }` }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown[] };
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body };
}

describe('Cache-Control of answers', () => {
  it('anonymous, public register fields only: public for the least hint (300 s)', async () => {
    const r = await ask('navn organisasjonsform { kode beskrivelse } konkurs');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toMatchObject({ enhet: { navn: 'FJELLTOPP BAKERI AS' } });
    expect(r.cacheControl).toBe('public, max-age=300');
  });

  it('the ids client caches normalise by are as public as the data they name', async () => {
    const r = await ask('id navn organisasjonsform { id kode } forretningsadresse { id poststed }');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toMatchObject({ enhet: { id: `Enhet:${BAKERI}` } });
    expect(r.cacheControl).toBe('public, max-age=300');
  });

  it('anonymous, with a private field (the inbox, refused): private, no-store', async () => {
    const r = await ask('navn inbox(first: 1) { totalCount }');
    expect(r.body.errors).toHaveLength(1);
    expect(r.cacheControl).toBe('private, no-store');
  });

  it('anonymous, with an unhinted field (roller): private, no-store', async () => {
    const r = await ask('navn roller { type { kode } }');
    expect(r.body.errors).toBeUndefined();
    expect(r.cacheControl).toBe('private, no-store');
  });

  it('with a token, the same public fields: private, no-store', async () => {
    const r = await ask('navn', await fixture.graph.as({ org: BAKERI, scope: 'dpv:read' }));
    expect(r.body.errors).toBeUndefined();
    expect(r.cacheControl).toBe('private, no-store');
  });

  it('a field that does not exist (a validation error): private, no-store', async () => {
    const r = await ask('nope');
    expect(r.status).toBe(400);
    expect(r.cacheControl).toBe('private, no-store');
  });
});
