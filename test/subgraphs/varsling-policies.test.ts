import { describe, expect, it } from 'vitest';
import { definition } from '../../subgraphs/varsling/index.js';
import { asCaller } from '../harness/auth.js';
import { codes, post } from '../harness/graphql.js';
import { useTestSubgraph } from '../harness/graph.js';

const fixture = useTestSubgraph(definition, { settings: { dispatch: false } });
const ADMIN = { sub: 'admin-kari', scope: 'varsling:admin' };
const gql = async (
  query: string,
  variables: Record<string, unknown> = {},
  claims: Record<string, string> | null = ADMIN,
) => post(fixture.subgraph.url, query, variables, claims ? await asCaller(claims) : {});

const FIELDS =
  'id name version kind channel windowDays windowStart windowEnd reminder reminderDelayDays';
const CREATE = `mutation ($input: PolicyInput!) { createPolicy(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $version: Int!, $input: PolicyInput!) { updatePolicy(id: $id, version: $version, input: $input) { ${FIELDS} } }`;
const input = (overrides: Record<string, unknown> = {}) => ({
  name: 'Plan og bygg: e-post',
  serviceCode: '4255/1',
  kind: 'VARSEL',
  channel: 'EMAIL',
  ...overrides,
});

describe('policies (varsling:admin)', () => {
  it('creates with the varslingsstrategi defaults, versions every update, refuses a stale version', async () => {
    const created = await gql(CREATE, { input: input() });
    expect(created.errors).toBeUndefined();
    const p = created.data!.createPolicy;
    expect(p).toMatchObject({
      version: 1,
      windowDays: [1, 2, 3, 4, 5],
      windowStart: '08:00',
      windowEnd: '16:00',
      reminder: true,
      reminderDelayDays: 7,
    });
    const updated = await gql(UPDATE, { id: p.id, version: 1, input: input({ channel: 'SMS' }) });
    expect(updated.data!.updatePolicy).toMatchObject({ version: 2, channel: 'SMS' });
    const stale = await gql(UPDATE, { id: p.id, version: 1, input: input({ channel: 'EMAIL' }) });
    expect(codes(stale)).toEqual(['CONFLICT']);
    expect(stale.errors?.[0]?.extensions?.currentVersion).toBe(2);

    const history = await gql(
      `query ($id: ID!) { policyHistory(id: $id) { version action actor changedFields before after } }`,
      { id: p.id },
    );
    const changes = history.data!.policyHistory;
    expect(changes.map((c: { action: string }) => c.action)).toEqual(['CREATED', 'UPDATED']);
    expect(changes[1]).toMatchObject({
      version: 2,
      actor: 'admin-kari',
      changedFields: ['channel'],
    });
    // Objects in the schema's field names (issue 16 §5), not column names in JSON strings.
    expect(changes[1].before).toMatchObject({ channel: 'EMAIL', version: 1 });
    expect(changes[1].after).toMatchObject({ channel: 'SMS', version: 2 });

    const retired = await gql(
      `mutation ($id: ID!) { retirePolicy(id: $id, version: 2) { version retiredAt } }`,
      { id: p.id },
    );
    expect(retired.data!.retirePolicy.version).toBe(3);
    const listed = await gql('{ policies { id } }');
    expect(listed.data!.policies.map((x: { id: string }) => x.id)).not.toContain(p.id);
    // The scope is free again once retired; a second policy in force for one scope is CONFLICT.
    expect((await gql(CREATE, { input: input() })).errors).toBeUndefined();
    expect(codes(await gql(CREATE, { input: input() }))).toEqual(['CONFLICT']);
  });

  it('refuses what the varslingsstrategi forbids, with INVALID_POLICY naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ channel: 'EMAIL_AND_SMS' }, 'doubleNoticeReason'],
      [
        { smsText: '{mottakerNavn} ({mottakerOrgnr}): ny melding fra {avsender} om {tjeneste}.' },
        'smsText',
      ],
      [
        {
          emailBody:
            '{mottakerNavn} ({mottakerOrgnr}) fra {avsender} om {tjeneste}: {innhold} {lenke}',
        },
        'emailBody',
      ],
      [
        {
          smsText:
            '{mottakerNavn} ({mottakerOrgnr}) {avsender} {tjeneste} {lenke} {tittel} {tittel} {tittel} {tittel} {tittel} {tittel} {tittel} {tittel}',
        },
        'smsText',
      ],
      [{ window: { days: [], start: '08:00', end: '16:00', skipHolidays: true } }, 'window'],
      [{ window: { days: [1], start: '16:00', end: '08:00', skipHolidays: true } }, 'window'],
      [{ serviceCode: '9999/1' }, 'serviceCode'],
      [{ reminderDelayDays: 0 }, 'reminderDelayDays'],
    ];
    for (const [overrides, field] of cases) {
      const r = await gql(CREATE, { input: input({ serviceCode: '4255/3', ...overrides }) });
      expect(codes(r), field).toEqual(['INVALID_POLICY']);
      expect(r.errors?.[0]?.extensions?.field, JSON.stringify(overrides).slice(0, 60)).toBe(field);
    }
    const withReason = await gql(CREATE, {
      input: input({
        serviceCode: '4255/3',
        channel: 'EMAIL_AND_SMS',
        doubleNoticeReason: 'Frist for klage løper',
      }),
    });
    expect(withReason.errors).toBeUndefined();
  });

  it('only admins see and change policies, their history, previews and simulations', async () => {
    const id = '0b7c5e2a-3f4d-4e5f-9a6b-000000000001';
    const operations: Array<[string, Record<string, unknown>]> = [
      ['{ policies { id } }', {}],
      [`{ policy(id: "${id}") { id } }`, {}],
      [`{ policyHistory(id: "${id}") { version } }`, {}],
      [CREATE, { input: input({ serviceCode: '4255/9' }) }],
      [UPDATE, { id, version: 1, input: input() }],
      [`mutation { retirePolicy(id: "${id}", version: 1) { id } }`, {}],
      [`{ previewSchedule(publishedAt: "2026-11-20T15:30:00Z", policyId: "${id}") { kind } }`, {}],
      [
        `{ simulatePolicyChange(from: "2026-11-01T00:00:00Z", to: "2026-11-20T00:00:00Z", change: { name: "x", kind: VARSEL, channel: SMS }) { messages } }`,
        {},
      ],
    ];
    for (const claims of [null, { org: '310012343', scope: 'dpv:read dpv:send' }]) {
      for (const [query, variables] of operations) {
        expect(codes(await gql(query, variables, claims)), query).toEqual(['FORBIDDEN']);
      }
    }
    expect((await gql(`{ policy(id: "${id}") { version } }`)).data!.policy.version).toBe(1);
  });

  it('previews deferrals: Friday 16:30 → Monday 08:00, the reminder 7 days on, moved past the weekend', async () => {
    const r = await gql(
      `{ previewSchedule(publishedAt: "2026-11-20T15:30:00Z", policyId: "0b7c5e2a-3f4d-4e5f-9a6b-000000000001") {
          kind plannedAt channels deferrals { reason date detail } } }`,
    );
    expect(r.errors).toBeUndefined();
    const [notice, reminder] = r.data!.previewSchedule;
    expect(notice).toMatchObject({
      kind: 'NOTICE',
      plannedAt: '2026-11-23T07:00:00.000Z',
      channels: ['EMAIL'],
    });
    expect(notice.deferrals.map((d: { reason: string }) => d.reason)).toEqual([
      'AFTER_HOURS',
      'NOT_A_SENDING_DAY',
      'NOT_A_SENDING_DAY',
    ]);
    // Published Friday 16:30: seven days on is Friday 27 November 16:30, after hours → Monday.
    expect(reminder).toMatchObject({ kind: 'REMINDER', plannedAt: '2026-11-30T07:00:00.000Z' });
    // Maundy Thursday 2026 → the Tuesday after Easter.
    const easter = await gql(
      `{ previewSchedule(publishedAt: "2026-04-02T08:00:00Z", policy: { name: "x", kind: VARSEL, channel: SMS, reminder: false }) { kind plannedAt deferrals { reason detail } } }`,
    );
    expect(easter.data!.previewSchedule).toHaveLength(1);
    expect(easter.data!.previewSchedule[0].plannedAt).toBe('2026-04-07T06:00:00.000Z');
    // Confidential post is notified even under a policy of NONE.
    const none = await gql(
      `{ previewSchedule(publishedAt: "2026-11-18T09:00:00Z", serviceCode: "5504/1", policy: { name: "x", kind: NONE, channel: EMAIL }) { kind } }`,
    );
    expect(none.data!.previewSchedule.map((o: { kind: string }) => o.kind)).toEqual([
      'NOTICE',
      'REMINDER',
    ]);
  });
});
