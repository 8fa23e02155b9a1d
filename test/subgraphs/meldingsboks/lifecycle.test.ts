import { describe, expect, it } from 'vitest';
import { codes } from '../../harness/graphql.js';
import {
  act,
  gql,
  inbox,
  MESSAGE_FIELDS,
  ORG,
  reader,
  send,
  sender,
  useMeldingsboks,
  type Claims,
} from './helpers.js';

const fixture = useMeldingsboks();
const bakeri = reader(ORG.bakeri);
const RECIPIENT_MUTATIONS = [
  'markMessageAsRead',
  'confirmMessage',
  'archiveMessage',
  'purgeMessage',
] as const;

interface History {
  statusHistory: Array<{ status: string; actor: string; actorOrg: string | null }>;
}
const statuses = (m: History) => m.statusHistory.map((s) => s.status);
const times = (m: History, status: string) => statuses(m).filter((s) => s === status).length;

/** Runs a recipient mutation that must succeed; returns the message it answers with. */
async function ok(mutation: string, id: string, claims: Claims = bakeri): Promise<any> {
  const r = await act(fixture, mutation, id, claims);
  expect(r.errors, mutation).toBeUndefined();
  return r.data[mutation];
}

/** `message(id)` as `claims` sees it (opening it in the inbox, for the recipient). */
async function open(id: string, claims: Claims = bakeri): Promise<any> {
  const r = await gql(
    fixture,
    `query ($id: ID!) { message(id: $id) { ${MESSAGE_FIELDS} } }`,
    { id },
    claims,
  );
  expect(r.errors).toBeUndefined();
  return r.data.message;
}

/** What the database holds of a message's lifecycle: to prove that a refused change wrote nothing. */
async function stored(id: string) {
  const [message] = await fixture.db.query(
    'select status, read_at, confirmed_at, fetched_at from meldingsboks.message where id = $1',
    [id],
  );
  const history = await fixture.db.query(
    'select status from meldingsboks.message_status where message_id = $1 order by id',
    [id],
  );
  return { message, history: history.map((h) => h.status), outbox: await outbox(id) };
}

const outbox = (id: string) =>
  fixture.db.query<{ kind: string; status: string }>(
    'select kind, status from meldingsboks.outbox where message_id = $1 order by id',
    [id],
  );

describe('the recipient side of the message lifecycle', () => {
  it('markMessageAsRead: Published → Read, stamps readAt, records who; again is a no-op', async () => {
    const m = await send(fixture);
    expect(m.unread).toBe(true);
    const read = await ok('markMessageAsRead', m.id);
    expect(read).toMatchObject({ status: 'READ', unread: false });
    expect(read.readAt).not.toBeNull();
    expect(read.statusHistory.at(-1)).toEqual({
      status: 'READ',
      actor: 'test-user',
      actorOrg: ORG.bakeri,
    });
    const again = await ok('markMessageAsRead', m.id);
    expect(again).toMatchObject({ status: 'READ', readAt: read.readAt });
    expect(statuses(again)).toEqual(statuses(read));
    expect(times(again, 'READ')).toBe(1);
  });

  it('opening a message as the recipient records Fetched once; the current status stays', async () => {
    const m = await send(fixture);
    // The sender looking at what it sent is not the recipient fetching it.
    expect(times(await open(m.id, sender()), 'FETCHED')).toBe(0);
    const first = await open(m.id);
    expect(first.status).toBe('PUBLISHED');
    expect(statuses(first)).toEqual(['INITIALIZED', 'READY_FOR_PUBLISH', 'PUBLISHED', 'FETCHED']);
    expect(first.statusHistory.at(-1)).toMatchObject({ actorOrg: ORG.bakeri });
    const second = await open(m.id);
    expect(second.status).toBe('PUBLISHED');
    expect(times(second, 'FETCHED')).toBe(1);
    // Fetched is history, not a place: reading still starts from Published.
    const read = await ok('markMessageAsRead', m.id);
    expect(read.status).toBe('READ');
    expect(statuses(read).slice(-2)).toEqual(['FETCHED', 'READ']);
    expect(times(await open(m.id), 'FETCHED')).toBe(1);
  });

  it('ten recipients opening a message at once still record one Fetched', async () => {
    const m = await send(fixture);
    await Promise.all(Array.from({ length: 10 }, () => open(m.id)));
    const { history, outbox: events } = await stored(m.id);
    expect(history.filter((s) => s === 'Fetched')).toHaveLength(1);
    expect(events.filter((e) => e.status === 'Fetched')).toHaveLength(1);
  });

  it('confirmMessage reads and confirms a message that asks for it; again is a no-op', async () => {
    const unread = await send(fixture, { isConfirmationNeeded: true });
    const confirmed = await ok('confirmMessage', unread.id);
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', unread: false });
    expect(confirmed.readAt).not.toBeNull();
    expect(confirmed.confirmedAt).not.toBeNull();
    expect(statuses(confirmed)).toEqual([
      'INITIALIZED',
      'READY_FOR_PUBLISH',
      'PUBLISHED',
      'READ',
      'CONFIRMED',
    ]);
    expect(confirmed.statusHistory.slice(-2).map((s: { actorOrg: string }) => s.actorOrg)).toEqual([
      ORG.bakeri,
      ORG.bakeri,
    ]);
    expect(statuses(await ok('confirmMessage', unread.id))).toEqual(statuses(confirmed));
    // From Read it only confirms: no second Read.
    const read = await send(fixture, { isConfirmationNeeded: true });
    await ok('markMessageAsRead', read.id);
    const after = await ok('confirmMessage', read.id);
    expect(after.status).toBe('CONFIRMED');
    expect(statuses(after).slice(-2)).toEqual(['READ', 'CONFIRMED']);
    expect(times(after, 'READ')).toBe(1);
  });

  it('confirmMessage on a message that does not ask for it: INVALID_TRANSITION, nothing changed', async () => {
    const m = await send(fixture);
    const before = await stored(m.id);
    const r = await act(fixture, 'confirmMessage', m.id, bakeri);
    expect(codes(r)).toEqual(['INVALID_TRANSITION']);
    expect(r.errors?.[0]?.extensions).toMatchObject({ from: 'Published', to: 'Confirmed' });
    expect(await stored(m.id)).toEqual(before);
  });

  it('archiveMessage refuses until confirmed when the message asks for it, and changes nothing', async () => {
    const m = await send(fixture, { isConfirmationNeeded: true });
    const before = await stored(m.id);
    const r = await act(fixture, 'archiveMessage', m.id, bakeri);
    expect(codes(r)).toEqual(['CONFIRMATION_REQUIRED']);
    expect(r.errors?.[0]?.extensions).toMatchObject({ from: 'Published', to: 'Archived' });
    expect(await stored(m.id)).toEqual(before);
    // Reading is not confirming.
    await ok('markMessageAsRead', m.id);
    const read = await stored(m.id);
    expect(codes(await act(fixture, 'archiveMessage', m.id, bakeri))).toEqual([
      'CONFIRMATION_REQUIRED',
    ]);
    expect(await stored(m.id)).toEqual(read);
    await ok('confirmMessage', m.id);
    const archived = await ok('archiveMessage', m.id);
    expect(archived.status).toBe('ARCHIVED');
    expect(statuses(archived).slice(-3)).toEqual(['READ', 'CONFIRMED', 'ARCHIVED']);
  });

  it('archiveMessage without confirmation needed works from Published and from Read', async () => {
    const unread = await send(fixture);
    const a = await ok('archiveMessage', unread.id);
    expect(a).toMatchObject({ status: 'ARCHIVED', unread: true, readAt: null });
    expect(a.statusHistory.at(-1)).toMatchObject({ status: 'ARCHIVED', actorOrg: ORG.bakeri });
    expect(statuses(await ok('archiveMessage', unread.id))).toEqual(statuses(a));
    const read = await send(fixture);
    await ok('markMessageAsRead', read.id);
    const b = await ok('archiveMessage', read.id);
    expect(b).toMatchObject({ status: 'ARCHIVED', unread: false });
    expect(statuses(b).slice(-2)).toEqual(['READ', 'ARCHIVED']);
  });

  it('an archived message not yet read can be marked read: stamped read, still archived', async () => {
    // Issue 16 §5: archiving counts as handled, and an unread archived message may still be read.
    const unread = await send(fixture);
    await ok('archiveMessage', unread.id);
    const read = await ok('markMessageAsRead', unread.id);
    expect(read).toMatchObject({ status: 'ARCHIVED', unread: false });
    expect(read.readAt).not.toBeNull();
    expect(statuses(read).slice(-2)).toEqual(['ARCHIVED', 'READ']);
    // Again is a no-op, and so is reading one that was read before it was archived.
    expect(await ok('markMessageAsRead', unread.id)).toEqual(read);
    const before = await send(fixture);
    await ok('markMessageAsRead', before.id);
    const archived = await ok('archiveMessage', before.id);
    expect(await ok('markMessageAsRead', before.id)).toEqual(archived);
  });

  it('purgeMessage: PurgedByRecipient, and the message is gone for the recipient', async () => {
    const m = await send(fixture);
    const page = async () => {
      const r = await inbox(fixture, ORG.bakeri, bakeri);
      expect(r.errors).toBeUndefined();
      return r.data._entities[0].inbox;
    };
    const before = await page();
    expect(before.nodes.map((n: { id: string }) => n.id)).toContain(m.id);
    const purged = await ok('purgeMessage', m.id);
    expect(purged.status).toBe('PURGED_BY_RECIPIENT');
    expect(purged.statusHistory.at(-1)).toMatchObject({
      status: 'PURGED_BY_RECIPIENT',
      actorOrg: ORG.bakeri,
    });
    expect(await open(m.id)).toBeNull();
    expect(await open(m.id, reader(ORG.regnskap))).toBeNull();
    const after = await page();
    expect(after.totalCount).toBe(before.totalCount - 1);
    expect(after.unreadCount).toBe(before.unreadCount - 1);
    expect(after.nodes.map((n: { id: string }) => n.id)).not.toContain(m.id);
    for (const mutation of RECIPIENT_MUTATIONS) {
      expect(codes(await act(fixture, mutation, m.id, bakeri)), mutation).toEqual(['NOT_FOUND']);
    }
    // The sender still sees what became of what it sent.
    expect((await open(m.id, sender())).status).toBe('PURGED_BY_RECIPIENT');
  });

  it('the sender cannot act as recipient: FORBIDDEN without dpv:read, NOT_FOUND with it', async () => {
    const m = await send(fixture, { isConfirmationNeeded: true });
    const before = await stored(m.id);
    const withRead = { org: ORG.skatteetaten, scope: 'dpv:read dpv:send' };
    for (const mutation of RECIPIENT_MUTATIONS) {
      expect(codes(await act(fixture, mutation, m.id, sender())), mutation).toEqual(['FORBIDDEN']);
      expect(codes(await act(fixture, mutation, m.id, withRead)), mutation).toEqual(['NOT_FOUND']);
      // Another enhet cannot tell that the message exists either.
      expect(codes(await act(fixture, mutation, m.id, reader(ORG.snekker))), mutation).toEqual([
        'NOT_FOUND',
      ]);
    }
    expect(await stored(m.id)).toEqual(before);
  });

  it("an accounting firm with a grant marks the client's post read, as itself; only what the grant opens", async () => {
    const m = await send(fixture);
    const read = await ok('markMessageAsRead', m.id, reader(ORG.regnskap));
    expect(read).toMatchObject({ status: 'READ', unread: false });
    expect(read.statusHistory.at(-1)).toMatchObject({ status: 'READ', actorOrg: ORG.regnskap });
    // The grant is to ordinary post: confidential post stays closed to the firm.
    const confidential = await send(fixture, { service: 'TAUSHETSBELAGT' });
    expect(
      codes(await act(fixture, 'markMessageAsRead', confidential.id, reader(ORG.regnskap))),
    ).toEqual(['NOT_FOUND']);
    // REGN for the carpenter without a grant from it opens nothing.
    const snekker = await send(fixture, { recipient: ORG.snekker });
    expect(
      codes(await act(fixture, 'markMessageAsRead', snekker.id, reader(ORG.regnskap))),
    ).toEqual(['NOT_FOUND']);
  });

  it('ten concurrent markMessageAsRead leave exactly one Read row and one Read event', async () => {
    const m = await send(fixture);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => act(fixture, 'markMessageAsRead', m.id, bakeri)),
    );
    for (const r of answers) {
      expect(r.errors).toBeUndefined();
      expect(r.data.markMessageAsRead.status).toBe('READ');
    }
    const { history, outbox: events } = await stored(m.id);
    expect(history.filter((s) => s === 'Read')).toHaveLength(1);
    expect(events.filter((e) => e.status === 'Read')).toHaveLength(1);
  });

  it('the status history is append-only in the database', async () => {
    const m = await send(fixture);
    const before = await stored(m.id);
    await expect(
      fixture.db.query(
        `update meldingsboks.message_status set status = 'Read' where message_id = $1`,
        [m.id],
      ),
    ).rejects.toThrow(/append-only/);
    await expect(
      fixture.db.query('delete from meldingsboks.message_status where message_id = $1', [m.id]),
    ).rejects.toThrow(/append-only/);
    await expect(fixture.db.query('truncate meldingsboks.message_status')).rejects.toThrow(
      /append-only/,
    );
    expect(await stored(m.id)).toEqual(before);
  });
});

describe('the outbox', () => {
  it('gets one row per status change, in order; a read ends with StatusChanged/Read', async () => {
    const m = await send(fixture);
    const read = await ok('markMessageAsRead', m.id);
    const events = await outbox(m.id);
    expect(events.at(-1)).toEqual({ kind: 'StatusChanged', status: 'Read' });
    expect(events).toEqual([
      { kind: 'StatusChanged', status: 'ReadyForPublish' },
      { kind: 'Published', status: 'Published' },
      { kind: 'StatusChanged', status: 'Read' },
    ]);
    // Every change after the message was stored (Initialized) has its event.
    expect(events.map((e) => e.status)).toEqual((await stored(m.id)).history.slice(1));
    expect(statuses(read).slice(1)).toEqual(['READY_FOR_PUBLISH', 'PUBLISHED', 'READ']);
  });

  it('is written in the same transaction: when the event cannot be written, the status does not change', async () => {
    const m = await send(fixture);
    const before = await stored(m.id);
    // A constraint that only this message's Read event breaks, so that the append fails last.
    await fixture.db.query(
      `alter table meldingsboks.outbox add constraint test_refuse_read
       check (message_id <> '${m.id}' or status <> 'Read') not valid`,
    );
    try {
      const r = await act(fixture, 'markMessageAsRead', m.id, bakeri);
      expect(r.errors).toBeDefined();
      expect(await stored(m.id)).toEqual(before);
    } finally {
      await fixture.db.query('alter table meldingsboks.outbox drop constraint test_refuse_read');
    }
    expect((await ok('markMessageAsRead', m.id)).status).toBe('READ');
  });

  it('has no Published row for a scheduled message until it is published', async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const m = await send(fixture, { requestedPublishTime: at });
    expect(m.status).toBe('READY_FOR_PUBLISH');
    expect(await outbox(m.id)).toEqual([{ kind: 'StatusChanged', status: 'ReadyForPublish' }]);
    await expect
      .poll(() => outbox(m.id), { timeout: 5000, interval: 100 })
      .toEqual([
        { kind: 'StatusChanged', status: 'ReadyForPublish' },
        { kind: 'Published', status: 'Published' },
      ]);
    const published = await open(m.id);
    expect(published.status).toBe('PUBLISHED');
    expect(published.statusHistory[2]).toMatchObject({
      status: 'PUBLISHED',
      actor: 'service:meldingsboks',
    });
  });
});
