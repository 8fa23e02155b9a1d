import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES } from '../../subgraphs/varsling/domain/policyInput.js';
import { definition } from '../../subgraphs/varsling/index.js';
import { asCaller } from '../harness/auth.js';
import { codes, post } from '../harness/graphql.js';
import { useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition, { settings: { dispatch: false } });
const ADMIN = { sub: 'admin-kari', scope: 'varsling:admin' };
const gql = async (query: string, variables: Record<string, unknown>) =>
  post(fixture.subgraph.url, query, variables, await asCaller(ADMIN));

const PREVIEW = `query ($p: PolicyInput!) { previewSchedule(publishedAt: "2026-03-02T10:00:00Z", policy: $p) { kind } }`;
const CREATE = `mutation ($p: PolicyInput!) { createPolicy(input: $p) { id } }`;
const policy = (overrides: Record<string, unknown>) => ({
  name: 'Caps',
  kind: 'VARSEL',
  channel: 'EMAIL',
  ...overrides,
});
const pad = (text: string, length: number) => text.padEnd(length, 'x');

/**
 * An SMS template of exactly `length` characters that fits the SMS rule: each extra
 * {mottakerOrgnr} is 15 characters as written and 9 filled in, which makes room for the
 * longer values of the others.
 */
const sms = (length: number) =>
  pad(
    `{avsender} {mottakerNavn} {mottakerOrgnr} {tjeneste} {lenke}${'{mottakerOrgnr}'.repeat(80)}`,
    length,
  );

const WEEK = [1, 2, 3, 4, 5, 6, 7];

describe('policy caps: at the limit accepted, one over refused (BAD_USER_INPUT) and not stored', () => {
  it.each([
    [
      'doubleNoticeReason',
      500,
      (n: number) => ({ channel: 'EMAIL_AND_SMS', doubleNoticeReason: pad('Frist', n) }),
    ],
    ['emailSubject', 255, (n: number) => ({ emailSubject: pad('Melding', n) })],
    ['emailBody', 10_000, (n: number) => ({ emailBody: pad(DEFAULT_TEMPLATES.emailBody, n) })],
    ['smsText', 2144, (n: number) => ({ channel: 'SMS', smsText: sms(n) })],
    [
      'window.days',
      7,
      (n: number) => ({
        window: {
          days: [...WEEK, 1].slice(0, n),
          start: '08:00',
          end: '16:00',
          skipHolidays: true,
        },
      }),
    ],
  ] as const)('%s: %i', async (field, max, make) => {
    const ok = await gql(PREVIEW, { p: policy(make(max)) });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.previewSchedule.length).toBeGreaterThan(0);

    const before = await fixture.db.query(
      'select count(*)::int as n from varsling.notification_policy',
    );
    for (const query of [PREVIEW, CREATE]) {
      const over = await gql(query, { p: policy(make(max + 1)) });
      expect(codes(over), query).toEqual(['BAD_USER_INPUT']);
      expect(over.errors?.[0]?.extensions).toMatchObject({ field, max });
    }
    expect(
      await fixture.db.query('select count(*)::int as n from varsling.notification_policy'),
    ).toEqual(before);
  });
});
