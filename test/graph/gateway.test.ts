import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definition as meldingsboks } from '../../subgraphs/meldingsboks/index.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { codes, post } from '../harness/graphql.js';
import { startTestGraph, startTestSubgraph, type TestGraph } from '../harness/graph.js';

let db: TestDatabase;
let graph: TestGraph;
/** Acting for FJELLTOPP BAKERI AS with scope dpv:read. */
let bakeri: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  graph = await startTestGraph(db.url);
  bakeri = await graph.as({ org: '310012343', scope: 'dpv:read' });
});
afterAll(async () => {
  await graph?.close();
  await db?.drop();
});

const CROSSING = `query Inbox($orgnr: String!) {
  enhet(organisasjonsnummer: $orgnr) {
    navn
    organisasjonsform { kode beskrivelse }
    inbox(first: 10) {
      totalCount
      unreadCount
      nodes {
        title
        sender { organisasjonsnummer navn }
        recipient { navn }
        notificationPolicy { name channel }
      }
    }
  }
}`;

describe('the whole graph through the gateway', () => {
  it('answers one query with data from all three subgraphs', async () => {
    const r = await post(graph.gateway.url, CROSSING, { orgnr: '310012343' }, bakeri);
    expect(r.errors).toBeUndefined();
    expect(r.data?.enhet).toEqual({
      navn: 'FJELLTOPP BAKERI AS',
      organisasjonsform: { kode: 'AS', beskrivelse: 'Aksjeselskap' },
      inbox: {
        totalCount: 2,
        unreadCount: 2,
        nodes: [
          {
            title: 'FJELLTOPP BAKERI AS (310012343): melding om næringsutvikling',
            sender: { organisasjonsnummer: '958935420', navn: 'OSLO KOMMUNE' },
            recipient: { navn: 'FJELLTOPP BAKERI AS' },
            notificationPolicy: {
              name: 'Oslo kommune, næringsutvikling: e-post',
              channel: 'EMAIL',
            },
          },
          {
            title: 'FJELLTOPP BAKERI AS (310012343): melding om skatter og avgifter',
            sender: { organisasjonsnummer: '974761076', navn: 'SKATTEETATEN' },
            recipient: { navn: 'FJELLTOPP BAKERI AS' },
            notificationPolicy: { name: 'Skatter og avgifter: SMS', channel: 'SMS_PREFERRED' },
          },
        ],
      },
    });
  });

  it('gives null for an unknown organisation number', async () => {
    const r = await post(graph.gateway.url, CROSSING, { orgnr: '310061700' });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ enhet: null });
  });

  it('gives INVALID_ORGNR, tagged with the subgraph, for a malformed one', async () => {
    const r = await post(graph.gateway.url, CROSSING, { orgnr: '9747610' });
    expect(codes(r)).toEqual(['INVALID_ORGNR']);
    expect(r.errors?.[0]?.extensions?.serviceName).toBe('enhetsregisteret');
    expect(r.data).toEqual({ enhet: null });
  });

  it('reports ready while every subgraph answers', async () => {
    expect((await fetch(new URL('/ready', graph.gateway.url))).status).toBe(200);
    expect((await fetch(new URL('/health', graph.gateway.url))).status).toBe(200);
  });

  it('names a subgraph that is down, keeps serving the rest, and recovers when it is back', async () => {
    const down = graph.subgraphs.get('meldingsboks')!;
    const port = down.port;
    await down.close();
    try {
      const r = await post(
        graph.gateway.url,
        `{ enhet(organisasjonsnummer: "310012343") { navn }
           message(id: "6f1c0a9e-1d2b-4c3d-8e4f-000000000001") { title } }`,
        {},
        bakeri,
      );
      expect(codes(r)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(r.errors?.[0]?.extensions?.serviceName).toBe('meldingsboks');
      expect(r.errors?.[0]?.message).toContain('meldingsboks');
      // Enhetsregisteret's part still arrives; the message is null.
      expect(r.data).toEqual({ enhet: { navn: 'FJELLTOPP BAKERI AS' }, message: null });
      // The inbox is nullable: a subgraph that cannot be reached nulls it alone, and the
      // enhet's public data still arrives.
      const crossing = await post(graph.gateway.url, CROSSING, { orgnr: '310012343' }, bakeri);
      expect(codes(crossing)).toContain('SUBGRAPH_UNAVAILABLE');
      expect(crossing.data).toEqual({
        enhet: {
          navn: 'FJELLTOPP BAKERI AS',
          organisasjonsform: { kode: 'AS', beskrivelse: 'Aksjeselskap' },
          inbox: null,
        },
      });
      expect((await fetch(new URL('/ready', graph.gateway.url))).status).toBe(503);
      // Alive all the same.
      expect((await fetch(new URL('/health', graph.gateway.url))).status).toBe(200);
    } finally {
      const restarted = await startTestSubgraph(meldingsboks, db.url, {
        port,
        peers: { enhetsregisteret: graph.subgraphs.get('enhetsregisteret')!.url },
      });
      graph.subgraphs.set('meldingsboks', restarted);
    }
    const again = await post(graph.gateway.url, CROSSING, { orgnr: '310012343' }, bakeri);
    expect(again.errors).toBeUndefined();
    expect(again.data?.enhet.inbox.nodes).toHaveLength(2);
    expect((await fetch(new URL('/ready', graph.gateway.url))).status).toBe(200);
  });
});
