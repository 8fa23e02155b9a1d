import { beforeAll, describe, expect, it } from 'vitest';
import { codes } from '../../harness/graphql.js';
import { DEMO_PERSONS } from '../../../subgraphs/enhetsregisteret/seed.js';
import { settingsSchema } from '../../../subgraphs/meldingsboks/settings.js';
import {
  act,
  gql,
  inbox,
  ORG,
  owner,
  personFor,
  reader,
  send,
  sender,
  useMeldingsboks,
  type Claims,
} from './helpers.js';

const fixture = useMeldingsboks();
let ordinary: { id: string };
let confidential: { id: string };
let health: { id: string };

const MESSAGE = `query ($id: ID!) { message(id: $id) { id body attachments { contentBase64 } } }`;
const readMessage = (id: string, claims?: Claims) => gql(fixture, MESSAGE, { id }, claims);

const grant = (from: string, to: string, scope: string, claims: Claims = owner(from)) =>
  gql(
    fixture,
    `mutation { grantInboxAccess(owner: "${from}", grantee: "${to}", scope: ${scope}) { id kind services viaRole } }`,
    {},
    claims,
  );
const revoke = (from: string, to: string, kind = 'null', claims: Claims | null = owner(from)) =>
  gql(
    fixture,
    `mutation { revokeInboxAccess(owner: "${from}", grantee: "${to}", kind: ${kind}) { id revokedAt } }`,
    {},
    claims ?? undefined,
  );

/** The ids `claims` sees in the bakery's inbox, or the error codes it gets. */
async function seen(claims: Claims | undefined): Promise<string[] | unknown[]> {
  const r = await inbox(fixture, ORG.bakeri, claims, 'first: 100');
  if (r.errors) return codes(r);
  return r.data._entities[0].inbox.nodes.map((m: { id: string }) => m.id);
}

beforeAll(async () => {
  const content = Buffer.from('vedlegg').toString('base64');
  const attachments = [{ name: 'a.txt', contentType: 'text/plain', contentBase64: content }];
  ordinary = await send(fixture, { attachments });
  confidential = await send(fixture, { service: 'TAUSHETSBELAGT', attachments });
  health = await send(fixture, { service: 'HELSE_SOSIAL_OMSORG' });
});

describe('the access matrix (inbox, message, attachment content, status changes)', () => {
  it('own organisation with dpv:read: all ordinary post, no confidential post', async () => {
    const ids = await seen(reader(ORG.bakeri));
    expect(ids).toContain(ordinary.id);
    expect(ids).toContain(health.id);
    expect(ids).not.toContain(confidential.id);
    expect((await readMessage(ordinary.id, reader(ORG.bakeri))).data.message.attachments).toEqual([
      { contentBase64: Buffer.from('vedlegg').toString('base64') },
    ]);
    expect((await readMessage(confidential.id, reader(ORG.bakeri))).data.message).toBeNull();
    expect(
      codes(await act(fixture, 'markMessageAsRead', confidential.id, reader(ORG.bakeri))),
    ).toEqual(['NOT_FOUND']);
  });

  it('own organisation without dpv:read, anonymous, and another organisation: nothing', async () => {
    for (const claims of [
      { org: ORG.bakeri, scope: 'dpv:send' },
      undefined,
      reader(ORG.seilforening),
    ]) {
      expect(await seen(claims)).toEqual(['FORBIDDEN']);
      const r = await readMessage(ordinary.id, claims);
      // Anonymous callers are told what they lack; others learn nothing of the message.
      if (claims) expect(r.data.message).toBeNull();
      else expect(codes(r)).toEqual(['FORBIDDEN']);
      const change = await act(fixture, 'markMessageAsRead', ordinary.id, claims ?? {});
      expect(codes(change)).toEqual([claims?.scope === 'dpv:read' ? 'NOT_FOUND' : 'FORBIDDEN']);
    }
  });

  it('the firm with an ALL_DPV grant (the seed: NORDLYS REGNSKAP, REGN) reads ordinary post, not confidential', async () => {
    const ids = await seen(reader(ORG.regnskap));
    expect(ids).toContain(ordinary.id);
    expect(ids).not.toContain(confidential.id);
    expect((await readMessage(ordinary.id, reader(ORG.regnskap))).data.message.id).toBe(
      ordinary.id,
    );
    expect((await readMessage(confidential.id, reader(ORG.regnskap))).data.message).toBeNull();
  });

  it('a firm without a grant: FORBIDDEN, even holding REGN', async () => {
    // NORDLYS REGNSKAP is REGN for the carpenter too, but the carpenter granted nothing.
    const r = await inbox(fixture, ORG.snekker, reader(ORG.regnskap));
    expect(codes(r)).toEqual(['FORBIDDEN']);
  });

  it('a SERVICES grant opens only those services', async () => {
    const g = await grant(
      ORG.bakeri,
      ORG.seilforening,
      '{ kind: SERVICES, services: [HELSE_SOSIAL_OMSORG] }',
    );
    expect(g.data.grantInboxAccess).toMatchObject({
      kind: 'SERVICES',
      services: ['HELSE_SOSIAL_OMSORG'],
      viaRole: null,
    });
    expect(await seen(reader(ORG.seilforening))).toEqual([health.id]);
    expect((await readMessage(ordinary.id, reader(ORG.seilforening))).data.message).toBeNull();
    await revoke(ORG.bakeri, ORG.seilforening);
    expect(await seen(reader(ORG.seilforening))).toEqual(['FORBIDDEN']);
  });

  it('confidential post: hidden from the enhet itself until it grants CONFIDENTIAL, then visible to exactly the grantee', async () => {
    expect((await grant(ORG.bakeri, ORG.bakeri, '{ kind: CONFIDENTIAL }')).errors).toBeUndefined();
    expect(await seen(reader(ORG.bakeri))).toContain(confidential.id);
    expect(
      (await readMessage(confidential.id, reader(ORG.bakeri))).data.message.attachments[0]
        .contentBase64,
    ).toBeTruthy();
    expect(await seen(reader(ORG.regnskap))).not.toContain(confidential.id);
    await grant(ORG.bakeri, ORG.regnskap, '{ kind: CONFIDENTIAL }');
    expect(await seen(reader(ORG.regnskap))).toContain(confidential.id);
    await revoke(ORG.bakeri, ORG.regnskap, 'CONFIDENTIAL');
    await revoke(ORG.bakeri, ORG.bakeri, 'CONFIDENTIAL');
    expect(await seen(reader(ORG.bakeri))).not.toContain(confidential.id);
    expect(await seen(reader(ORG.regnskap))).not.toContain(confidential.id);
    // The ALL_DPV grant was not touched by revoking CONFIDENTIAL.
    expect(await seen(reader(ORG.regnskap))).toContain(ordinary.id);
  });

  it("a firm's grant lapses as soon as its REGN role ends in Enhetsregisteret, and holds again if it resumes", async () => {
    const endRole = (ended: boolean) =>
      fixture.db.query(
        `update enhetsregisteret.rolle set fratraadt = $3
         where organisasjonsnummer = $1 and enhet_organisasjonsnummer = $2 and type_kode = 'REGN'`,
        [ORG.bakeri, ORG.regnskap, ended],
      );
    await endRole(true);
    try {
      expect(await seen(reader(ORG.regnskap))).toEqual(['FORBIDDEN']);
      expect((await readMessage(ordinary.id, reader(ORG.regnskap))).data.message).toBeNull();
      const clients = await gql(
        fixture,
        `{ _entities(representations: [{ __typename: "Enhet", organisasjonsnummer: "${ORG.regnskap}" }]) { ... on Enhet { clients { enhet { organisasjonsnummer } } } } }`,
        {},
        reader(ORG.regnskap),
      );
      expect(clients.data._entities[0].clients).toEqual([]);
    } finally {
      await endRole(false);
    }
    expect(await seen(reader(ORG.regnskap))).toContain(ordinary.id);
  });

  it('the sender reads what it sent (dpv:send), another sender does not', async () => {
    expect((await readMessage(confidential.id, sender())).data.message.id).toBe(confidential.id);
    expect((await readMessage(ordinary.id, sender(ORG.oslo))).data.message).toBeNull();
  });
});

describe('the access matrix for persons (a role that carries Post/arkiv, or a delegation)', () => {
  const { ola, per, eva, nina } = DEMO_PERSONS;
  const personGrant = (pid: string, scope: string, claims: Claims = owner(ORG.bakeri)) =>
    gql(
      fixture,
      `mutation { grantPersonAccess(owner: "${ORG.bakeri}", person: "${pid}", scope: ${scope}) { kind services } }`,
      {},
      claims,
    );
  const personRevoke = (pid: string, claims: Claims = owner(ORG.bakeri)) =>
    gql(
      fixture,
      `mutation { revokePersonAccess(owner: "${ORG.bakeri}", person: "${pid}") { kind revokedAt } }`,
      {},
      claims,
    );
  const endOlasRole = (ended: boolean) =>
    fixture.db.query(
      `update enhetsregisteret.rolle set fratraadt = $2 where organisasjonsnummer = $1 and person_pid = $3`,
      [ORG.bakeri, ended, ola],
    );

  it('the daglig leder (DAGL, current): all ordinary post and its content, no confidential post', async () => {
    const claims = personFor(ola, ORG.bakeri);
    const ids = await seen(claims);
    expect(ids).toContain(ordinary.id);
    expect(ids).toContain(health.id);
    expect(ids).not.toContain(confidential.id);
    expect((await readMessage(ordinary.id, claims)).data.message.attachments).toHaveLength(1);
    expect((await readMessage(confidential.id, claims)).data.message).toBeNull();
    expect(codes(await act(fixture, 'markMessageAsRead', confidential.id, claims))).toEqual([
      'NOT_FOUND',
    ]);
    const fresh = await send(fixture);
    const read = await act(fixture, 'markMessageAsRead', fresh.id, claims);
    expect(read.errors).toBeUndefined();
    expect(read.data.markMessageAsRead.status).toBe('READ');
  });

  it('a board member, a resigned daglig leder, a person with no role, and the DAGL acting for another enhet: nothing', async () => {
    for (const claims of [
      personFor(per, ORG.bakeri),
      personFor(eva, ORG.bakeri),
      personFor(nina, ORG.bakeri),
      personFor(ola, ORG.seilforening),
      { ...personFor(ola, ORG.bakeri), scope: 'dpv:send' },
    ]) {
      expect(await seen(claims)).toEqual(['FORBIDDEN']);
      expect((await readMessage(ordinary.id, claims)).data.message).toBeNull();
      // Without dpv:read the caller is told what it lacks; otherwise it learns nothing.
      expect(codes(await act(fixture, 'markMessageAsRead', ordinary.id, claims))).toEqual([
        claims.scope === 'dpv:read' ? 'NOT_FOUND' : 'FORBIDDEN',
      ]);
    }
  });

  it('a delegated SERVICES right opens those services; a withdrawn one closes them at once', async () => {
    const claims = personFor(nina, ORG.bakeri);
    const g = await personGrant(nina, '{ kind: SERVICES, services: [HELSE_SOSIAL_OMSORG] }');
    expect(g.errors).toBeUndefined();
    const ids = await seen(claims);
    expect(ids).toContain(health.id);
    expect(ids).not.toContain(ordinary.id);
    expect(ids).not.toContain(confidential.id);
    expect((await readMessage(ordinary.id, claims)).data.message).toBeNull();
    const r = await personRevoke(nina);
    expect(r.data.revokePersonAccess).toHaveLength(1);
    expect(await seen(claims)).toEqual(['FORBIDDEN']);
  });

  it('confidential post by its own delegation only; the role that ends takes ordinary post with it', async () => {
    const claims = personFor(ola, ORG.bakeri);
    // A board member may not delegate; the daglig leder may (dpv:grant).
    expect(
      codes(
        await personGrant(ola, '{ kind: CONFIDENTIAL }', personFor(per, ORG.bakeri, 'dpv:grant')),
      ),
    ).toEqual(['FORBIDDEN']);
    const g = await personGrant(
      ola,
      '{ kind: CONFIDENTIAL }',
      personFor(ola, ORG.bakeri, 'dpv:grant'),
    );
    expect(g.errors).toBeUndefined();
    expect(await seen(claims)).toContain(confidential.id);
    await endOlasRole(true);
    try {
      const ids = await seen(claims);
      expect(ids).toContain(confidential.id);
      expect(ids).not.toContain(ordinary.id);
      // Without the role he administers nothing either.
      expect(codes(await personRevoke(ola, personFor(ola, ORG.bakeri, 'dpv:grant')))).toEqual([
        'FORBIDDEN',
      ]);
    } finally {
      await endOlasRole(false);
      await personRevoke(ola);
    }
    expect(await seen(claims)).not.toContain(confidential.id);
  });
});

describe('grants and clients', () => {
  const GRANTS = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { inboxGrants { grantee: granteeOrgnr kind } } } }`;
  const CLIENTS = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Enhet { clients { enhet { organisasjonsnummer } grants { kind } unreadCount } } } }`;
  const rep = (organisasjonsnummer: string) => ({
    r: [{ __typename: 'Enhet', organisasjonsnummer }],
  });

  it('only the owner grants and revokes, with dpv:grant', async () => {
    expect(
      codes(await grant(ORG.bakeri, ORG.seilforening, '{ kind: ALL_DPV }', reader(ORG.bakeri))),
    ).toEqual(['FORBIDDEN']);
    expect(
      codes(await grant(ORG.bakeri, ORG.seilforening, '{ kind: ALL_DPV }', owner(ORG.regnskap))),
    ).toEqual(['FORBIDDEN']);
    expect(codes(await grant(ORG.bakeri, '310000000', '{ kind: ALL_DPV }'))).toEqual(['NOT_FOUND']);
    expect(codes(await grant(ORG.bakeri, ORG.bakeri, '{ kind: ALL_DPV }'))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(
      codes(
        await grant(ORG.bakeri, ORG.seilforening, '{ kind: SERVICES, services: [TAUSHETSBELAGT] }'),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(codes(await grant(ORG.bakeri, ORG.seilforening, '{ kind: SERVICES }'))).toEqual([
      'BAD_USER_INPUT',
    ]);
    const rows = await fixture.db.query(
      `select count(*)::int as n from meldingsboks.inbox_grant where grantee_orgnr = $1 and revoked_at is null`,
      [ORG.seilforening],
    );
    expect(rows).toEqual([{ n: 0 }]);
    // Nobody but the owner ends a grant: not the grantee, not without dpv:grant, not anonymous.
    for (const claims of [owner(ORG.regnskap), reader(ORG.bakeri), null]) {
      expect(codes(await revoke(ORG.bakeri, ORG.regnskap, 'null', claims))).toEqual(['FORBIDDEN']);
    }
    expect(await seen(reader(ORG.regnskap))).toContain(ordinary.id);
  });

  it('inboxGrants are visible to the owner only', async () => {
    const mine = await gql(fixture, GRANTS, rep(ORG.bakeri), reader(ORG.bakeri));
    expect(mine.data._entities[0].inboxGrants).toContainEqual({
      grantee: ORG.regnskap,
      kind: 'ALL_DPV',
    });
    expect(codes(await gql(fixture, GRANTS, rep(ORG.bakeri), reader(ORG.regnskap)))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codes(await gql(fixture, GRANTS, rep(ORG.bakeri)))).toEqual(['FORBIDDEN']);
  });

  it("clients: the firm's clients with unread counts of what the grant lets it see; only the firm sees them", async () => {
    const r = await gql(fixture, CLIENTS, rep(ORG.regnskap), reader(ORG.regnskap));
    expect(r.errors).toBeUndefined();
    const [bakeri] = r.data._entities[0].clients;
    expect(bakeri.enhet.organisasjonsnummer).toBe(ORG.bakeri);
    const own = await inbox(fixture, ORG.bakeri, reader(ORG.regnskap), 'first: 1');
    expect(bakeri.unreadCount).toBe(own.data._entities[0].inbox.unreadCount);
    await send(fixture);
    const after = await gql(fixture, CLIENTS, rep(ORG.regnskap), reader(ORG.regnskap));
    expect(after.data._entities[0].clients[0].unreadCount).toBe(bakeri.unreadCount + 1);
    expect(codes(await gql(fixture, CLIENTS, rep(ORG.regnskap), reader(ORG.bakeri)))).toEqual([
      'FORBIDDEN',
    ]);
  });
});

describe('settings', () => {
  it('never trusts a role answer for more than 60 s', () => {
    expect(settingsSchema.parse({}).roleCacheMs).toBe(60_000);
    expect(() => settingsSchema.parse({ roleCacheMs: 60_001 })).toThrow();
  });
});
