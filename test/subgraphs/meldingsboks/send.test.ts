import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { codes } from '../../harness/graphql.js';
import { admin, gql, messageInput, ORG, send, sender, useMeldingsboks } from './helpers.js';

const fixture = useMeldingsboks();
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id status } }`;
const trySend = (overrides: Record<string, unknown>, claims = sender()) =>
  gql(fixture, SEND, { input: messageInput(overrides) }, claims);

describe('sendMessage', () => {
  it('publishes at once: Initialized, ReadyForPublish, Published, by whom', async () => {
    const m = await send(fixture);
    expect(m.status).toBe('PUBLISHED');
    expect(m.unread).toBe(true);
    expect(m.statusHistory.map((s: { status: string }) => s.status)).toEqual([
      'INITIALIZED',
      'READY_FOR_PUBLISH',
      'PUBLISHED',
    ]);
    expect(m.statusHistory[0]).toMatchObject({ actorOrg: ORG.skatteetaten });
    expect(m.statusHistory[2]).toMatchObject({ actor: 'service:meldingsboks', actorOrg: null });
  });

  it('is idempotent: the same sender and sendersReference return the first message', async () => {
    const input = messageInput({ sendersReference: 'vedtak-2026-0001' });
    const first = await send(fixture, input);
    const again = await send(fixture, { ...input, title: 'another title' });
    expect(again.id).toBe(first.id);
    expect(again.title).toBe(first.title);
    const rows = await fixture.db.query(
      `select count(*)::int as n from meldingsboks.message where senders_reference = 'vedtak-2026-0001'`,
    );
    expect(rows).toEqual([{ n: 1 }]);
    // Ten concurrent retries still make one message.
    const input2 = messageInput({ sendersReference: 'vedtak-2026-0002' });
    const ids = await Promise.all(Array.from({ length: 10 }, () => send(fixture, input2)));
    expect(new Set(ids.map((m) => m.id)).size).toBe(1);
    // Another sender may use the same reference.
    const other = await send(fixture, input, sender(ORG.oslo));
    expect(other.id).not.toBe(first.id);
  });

  it('stores the technical sender and the real sender it sends on behalf of', async () => {
    // Only once the body has authorised the technical sender (the graph test covers the refusal).
    const grant = `mutation { authoriseSender(technicalSender: "${ORG.skatteetaten}") { id } }`;
    expect((await gql(fixture, grant, {}, sender(ORG.oslo))).errors).toBeUndefined();
    const m = await send(fixture, { onBehalfOf: ORG.oslo });
    expect(m.sender.organisasjonsnummer).toBe(ORG.oslo);
    expect(m.technicalSender.organisasjonsnummer).toBe(ORG.skatteetaten);
  });

  it('refuses senders that are not approved, and onBehalfOf that is not', async () => {
    const r = await trySend({}, sender(ORG.bakeri));
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors?.[0]?.message).toContain('310012343 is not an approved DPV sender');
    expect(codes(await trySend({ onBehalfOf: ORG.seilforening }))).toEqual(['FORBIDDEN']);
    expect(codes(await trySend({}, { org: ORG.skatteetaten, scope: 'dpv:read' }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codes(await gql(fixture, SEND, { input: messageInput() }))).toEqual(['FORBIDDEN']);
  });

  it('an admin approves and withdraws senders; only an admin', async () => {
    const approve = `mutation { approveSender(organisasjonsnummer: "${ORG.seilforening}", name: "HAVBRIS") { organisasjonsnummer revokedAt } }`;
    expect(codes(await gql(fixture, approve, {}, sender()))).toEqual(['FORBIDDEN']);
    expect((await gql(fixture, approve, {}, admin)).data.approveSender.revokedAt).toBeNull();
    await send(fixture, {}, sender(ORG.seilforening));
    const revoke = `mutation { revokeSender(organisasjonsnummer: "${ORG.seilforening}") { revokedAt } }`;
    expect((await gql(fixture, revoke, {}, admin)).data.revokeSender.revokedAt).not.toBeNull();
    expect(codes(await trySend({}, sender(ORG.seilforening)))).toEqual(['FORBIDDEN']);
    const list = await gql(fixture, '{ approvedSenders { organisasjonsnummer } }', {}, admin);
    expect(list.data.approvedSenders.map((s: any) => s.organisasjonsnummer)).toContain(ORG.oslo);
  });

  it('RECIPIENT_NOT_FOUND for an enhet that is not registered or is deleted; nothing stored', async () => {
    const before = await fixture.db.query('select count(*)::int as n from meldingsboks.message');
    const unknown = await trySend({ recipient: '310000000' });
    expect(codes(unknown)).toEqual(['RECIPIENT_NOT_FOUND']);
    await fixture.db.query(
      `update enhetsregisteret.enhet set slettedato = '2026-01-01' where organisasjonsnummer = $1`,
      [ORG.seilforening],
    );
    try {
      expect(codes(await trySend({ recipient: ORG.seilforening }))).toEqual([
        'RECIPIENT_NOT_FOUND',
      ]);
    } finally {
      await fixture.db.query(
        `update enhetsregisteret.enhet set slettedato = null where organisasjonsnummer = $1`,
        [ORG.seilforening],
      );
    }
    const after = await fixture.db.query('select count(*)::int as n from meldingsboks.message');
    expect(after).toEqual(before);
    expect(codes(await trySend({ recipient: '123' }))).toEqual(['INVALID_ORGNR']);
  });

  it('validates every limit with BAD_USER_INPUT naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ sendersReference: 'x'.repeat(4097) }, 'sendersReference'],
      [{ messageSender: 'x'.repeat(257) }, 'messageSender'],
      [{ title: '' }, 'title'],
      [
        {
          externalReferences: Array.from({ length: 11 }, (_, i) => ({
            referenceType: 'GENERIC',
            referenceValue: `${i}`,
          })),
        },
        'externalReferences',
      ],
      [
        { propertyList: Array.from({ length: 11 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
        'propertyList',
      ],
      [{ propertyList: [{ key: 'k'.repeat(51), value: 'v' }] }, 'propertyList.key'],
      [{ propertyList: [{ key: 'k', value: 'v'.repeat(301) }] }, 'propertyList.value'],
      [
        {
          propertyList: [
            { key: 'k', value: 'a' },
            { key: 'k', value: 'b' },
          ],
        },
        'propertyList.key',
      ],
      [{ replyOptions: [{ linkUrl: 'http://insecure.example/svar' }] }, 'replyOptions.linkUrl'],
      [
        { attachments: [{ name: 'a.pdf', contentType: 'application/pdf', contentBase64: '!!' }] },
        'attachments.contentBase64',
      ],
      [{ attachments: [{ name: 'a.pdf', contentType: 'application/pdf' }] }, 'attachments'],
      [
        {
          attachments: [
            {
              name: 'a.pdf',
              contentType: 'application/pdf',
              contentBase64: 'aGVp',
              sha256: '0'.repeat(64),
            },
          ],
        },
        'attachments.sha256',
      ],
      [{ dueDateTime: '2020-01-01T00:00:00Z' }, 'dueDateTime'],
    ];
    for (const [overrides, field] of cases) {
      const r = await trySend(overrides);
      expect(codes(r), field).toEqual(['BAD_USER_INPUT']);
      expect(r.errors?.[0]?.extensions?.field, JSON.stringify(overrides).slice(0, 80)).toBe(field);
    }
    // A property list of exactly 10 keys at the limits is fine.
    await send(fixture, {
      propertyList: Array.from({ length: 10 }, (_, i) => ({
        key: `${i}`.padEnd(50, 'k'),
        value: 'v'.repeat(300),
      })),
    });
  });

  it('stores attachments with size and SHA-256, content readable by the recipient', async () => {
    const content = Buffer.from('%PDF-1.7 vedtak');
    const sha = createHash('sha256').update(content).digest('hex');
    const m = await send(fixture, {
      attachments: [
        {
          name: 'vedtak.pdf',
          contentType: 'application/pdf',
          contentBase64: content.toString('base64'),
        },
        {
          name: 'stor.zip',
          contentType: 'application/zip',
          size: 5_000_000_000,
          sha256: 'a'.repeat(64),
        },
      ],
    });
    const r = await gql(
      fixture,
      `query ($id: ID!) { message(id: $id) { attachments { name contentType sizeBytes sha256 contentBase64 } } }`,
      { id: m.id },
      { org: ORG.bakeri, scope: 'dpv:read' },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.message.attachments).toEqual([
      {
        name: 'vedtak.pdf',
        contentType: 'application/pdf',
        sizeBytes: content.length,
        sha256: sha,
        contentBase64: content.toString('base64'),
      },
      {
        name: 'stor.zip',
        contentType: 'application/zip',
        sizeBytes: 5_000_000_000,
        sha256: 'a'.repeat(64),
        contentBase64: null,
      },
    ]);
  });

  it('holds a message until requestedPublishTime; the publisher publishes it', async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const m = await send(fixture, { requestedPublishTime: at });
    expect(m.status).toBe('READY_FOR_PUBLISH');
    const seen = async () =>
      (
        await gql(
          fixture,
          `query ($id: ID!) { message(id: $id) { status } }`,
          { id: m.id },
          { org: ORG.bakeri, scope: 'dpv:read' },
        )
      ).data.message;
    expect(await seen()).toBeNull(); // the recipient sees it from Published on
    await expect.poll(seen, { timeout: 5000, interval: 100 }).toEqual({ status: 'PUBLISHED' });
  });

  it('lets the sender purge only before publish', async () => {
    const later = await send(fixture, {
      requestedPublishTime: new Date(Date.now() + 3600_000).toISOString(),
    });
    const purge = (id: string) =>
      gql(
        fixture,
        `mutation ($id: ID!) { purgeSentMessage(id: $id) { status } }`,
        { id },
        sender(),
      );
    expect((await purge(later.id)).data.purgeSentMessage.status).toBe('PURGED_BY_ALTINN');
    const now = await send(fixture);
    const r = await purge(now.id);
    expect(codes(r)).toEqual(['INVALID_TRANSITION']);
    expect(r.errors?.[0]?.extensions).toMatchObject({ from: 'Published', to: 'PurgedByAltinn' });
    expect(
      codes(
        await gql(
          fixture,
          `mutation ($id: ID!) { purgeSentMessage(id: $id) { status } }`,
          { id: now.id },
          sender(ORG.oslo),
        ),
      ),
    ).toEqual(['NOT_FOUND']);
  });

  it('reads status for many messages at once by reference, refusing more than 10 000', async () => {
    const a = await send(fixture, { sendersReference: 'batch-a' });
    const b = await send(fixture, { sendersReference: 'batch-b' });
    const q = `query ($refs: [String!]!) { messagesByReference(sendersReferences: $refs) { id sendersReference status } }`;
    const r = await gql(fixture, q, { refs: ['batch-b', 'missing', 'batch-a'] }, sender());
    expect(r.data.messagesByReference).toEqual([
      { id: b.id, sendersReference: 'batch-b', status: 'PUBLISHED' },
      { id: a.id, sendersReference: 'batch-a', status: 'PUBLISHED' },
    ]);
    // Another sender's references are not visible.
    expect(
      (await gql(fixture, q, { refs: ['batch-a'] }, sender(ORG.oslo))).data.messagesByReference,
    ).toEqual([]);
    // Only senders ask by reference.
    for (const claims of [{ org: ORG.skatteetaten, scope: 'dpv:read' }, undefined]) {
      expect(codes(await gql(fixture, q, { refs: ['batch-a'] }, claims))).toEqual(['FORBIDDEN']);
    }
    const many = Array.from({ length: 10_000 }, (_, i) => `r${i}`);
    expect((await gql(fixture, q, { refs: many }, sender())).errors).toBeUndefined();
    expect(codes(await gql(fixture, q, { refs: [...many, 'one more'] }, sender()))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('counts messages per sender per year against the free quota of 10 000', async () => {
    const q = `query ($year: Int!, $sender: String) { senderUsage(year: $year, sender: $sender) { sender year messages freeQuota beyondFreeQuota } }`;
    const year = new Date().getFullYear();
    const before = (await gql(fixture, q, { year }, sender(ORG.brreg))).data.senderUsage;
    await send(fixture, {}, sender(ORG.brreg));
    await send(fixture, {}, sender(ORG.brreg));
    const after = (await gql(fixture, q, { year }, sender(ORG.brreg))).data.senderUsage;
    expect(after).toEqual({ ...before, messages: before.messages + 2 });
    expect(after.freeQuota).toBe(10_000);
    expect(
      (await gql(fixture, q, { year: year - 1 }, sender(ORG.brreg))).data.senderUsage.messages,
    ).toBe(0);
    // Another sender's usage: only an admin.
    expect(codes(await gql(fixture, q, { year, sender: ORG.brreg }, sender()))).toEqual([
      'FORBIDDEN',
    ]);
    expect(
      (await gql(fixture, q, { year, sender: ORG.brreg }, admin)).data.senderUsage.messages,
    ).toBe(after.messages);
  });
});
