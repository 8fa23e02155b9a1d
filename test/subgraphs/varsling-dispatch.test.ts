import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  Dispatcher,
  type DispatcherOptions,
} from '../../subgraphs/varsling/dispatch/Dispatcher.js';
import {
  createTransports,
  type EmailMessage,
  type Transports,
} from '../../subgraphs/varsling/dispatch/transports.js';
import { definition } from '../../subgraphs/varsling/index.js';
import { silent, useTestSubgraph } from '../harness/graph.js';
import { LogCapture } from '../harness/logCapture.js';

// The subgraph's own dispatcher and engine stay off: these tests run the dispatchers they check.
const fixture = useTestSubgraph(definition, {
  demoData: false,
  settings: { dispatch: false, engine: false },
});
const q = (sql: string, params?: unknown[]) => fixture.db.query(sql, params);

// What leaves the machine: a real SMTP server and a real HTTP SMS provider, both on loopback.
const mails: Array<{ to: string[]; raw: string }> = [];
const rejected = new Set<string>();
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onRcptTo: (address, _session, done) =>
    done(rejected.has(address.address) ? new Error('550 mailbox unavailable') : null),
  onData: (stream, session, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const to = session.envelope.rcptTo.map((r) => r.address);
      mails.push({ to, raw: Buffer.concat(chunks).toString('utf8') });
      done();
    });
  },
});
const texts: unknown[] = [];
let smsFailures = 0;
const smsProvider: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    if (smsFailures > 0) {
      smsFailures -= 1;
      return void res.writeHead(500).end('provider down');
    }
    texts.push(JSON.parse(body));
    res.writeHead(202, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `sms-${texts.length}` }));
  });
});
let transports: Transports;

beforeAll(async () => {
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  smsProvider.listen(0, '127.0.0.1');
  await once(smsProvider, 'listening');
  const port = (s: Server | SMTPServer['server']) => (s.address() as AddressInfo).port;
  transports = createTransports(
    {
      smtpUrl: `smtp://127.0.0.1:${port(smtp.server)}`,
      smtpFrom: 'varsling@altinn.example',
      smsProviderUrl: `http://127.0.0.1:${port(smsProvider)}/sms`,
      smsSender: 'Altinn',
    },
    silent,
  );
});
afterAll(async () => {
  await transports.close();
  await new Promise((r) => smtp.close(() => r(undefined)));
  smsProvider.closeAllConnections();
  await new Promise((r) => smsProvider.close(r));
});
beforeEach(() => {
  mails.length = texts.length = smsFailures = 0;
  rejected.clear();
});
// Each test sees only its own notifications.
afterEach(() =>
  q(`update varsling.notification_order set status = 'Cancelled'
     where status in ('Registered', 'Processing')`),
);

const dispatcher = (o: Partial<DispatcherOptions> = {}) =>
  new Dispatcher({ orm: fixture.subgraph.orm, transports, log: silent, backoffMs: 20, ...o });

type New = { channel: 'EMAIL' | 'SMS'; address: string; subject?: string; body: string };
const mailTo = (address: string, subject = 'New message', body = 'Read it.'): New => ({
  channel: 'EMAIL',
  address,
  subject,
  body,
});
const smsTo = (address: string, body = 'New message'): New => ({ channel: 'SMS', address, body });

/** One published message, one order for it, its notifications, due now unless told. */
async function order(
  notifications: New[],
  o: { kind?: string; event?: string; inMs?: number } = {},
) {
  const [created] = await q(
    `with m as (
       insert into varsling.message_event (message_id, recipient_orgnr, sender_orgnr,
         service_code, title, published_at, read_at, purged_at, archived_at)
       values (gen_random_uuid(), '310000001', '974761076', '4255/1', 'Vedtak', now(),
         case when $1 = 'read' then now() end, case when $1 = 'purged' then now() end,
         case when $1 = 'archived' then now() end)
       returning message_id)
     insert into varsling.notification_order (message_id, recipient_orgnr, kind, status, planned_at)
     select message_id, '310000001', $2, 'Registered', now() from m returning id`,
    [o.event ?? null, o.kind ?? 'NOTICE'],
  );
  const orderId = created!.id as string;
  const ids: string[] = [];
  for (const n of notifications) {
    const [row] = await q(
      `insert into varsling.notification (order_id, channel, address, subject, body, status,
         next_attempt_at)
       values ($1, $2, $3, $4, $5, 'New', now() + $6::float8 * interval '1 millisecond')
       returning id`,
      [orderId, n.channel, n.address, n.subject ?? null, n.body, o.inMs ?? 0],
    );
    ids.push(row!.id);
  }
  return { orderId, ids, id: ids[0]! };
}
const notification = async (id: string) =>
  (await q(`select * from varsling.notification where id = $1`, [id]))[0]!;
const attempts = (id: string) =>
  q(
    `select attempt, outcome, detail, finished_at from varsling.notification_attempt
     where notification_id = $1 order by attempt`,
    [id],
  );
const orderStatus = async (id: string) =>
  (await q(`select status, status_reason from varsling.notification_order where id = $1`, [id]))[0];
/** The wait, in ms, that the last failed attempt scheduled (both stamped with its now()). */
const backoffAfterLastAttempt = async (id: string) => {
  const [row] = await q(
    `select extract(epoch from n.next_attempt_at - a.finished_at) * 1000 as ms
     from varsling.notification n
     join varsling.notification_attempt a on a.notification_id = n.id and a.attempt = n.attempts
     where n.id = $1`,
    [id],
  );
  return Number(row!.ms);
};
/** Notifications of open orders not yet sent or failed. */
const open = async () =>
  (
    await q(`select count(*)::int as n from varsling.notification n
             join varsling.notification_order o on o.id = n.order_id
             where o.status in ('Registered', 'Processing') and n.status in ('New', 'Sending')`)
  )[0]!.n;
async function until(done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !(await done()); await sleep(25)) {
    if (Date.now() > end) throw new Error('timed out waiting');
  }
}

describe('varsling dispatcher', () => {
  it('sends an e-mail over SMTP and an SMS to the provider, records both, completes the order', async () => {
    const o = await order([
      mailTo('post@bedrift.example', 'New message from Skatteetaten', 'Read it in the inbox.'),
      smsTo('+4791234567'),
    ]);
    const [mail, sms] = o.ids as [string, string];
    expect(await dispatcher().dispatchDue()).toBe(2);
    expect(mails.map((m) => m.to)).toEqual([['post@bedrift.example']]);
    expect(mails[0]!.raw).toMatch(/^From: varsling@altinn\.example\r$/m);
    expect(mails[0]!.raw).toMatch(/^Subject: New message from Skatteetaten\r$/m);
    expect(mails[0]!.raw).toMatch(/\r\n\r\nRead it in the inbox\./);
    expect(texts).toEqual([{ from: 'Altinn', to: '+4791234567', text: 'New message' }]);
    const sent = await notification(mail);
    expect(sent).toMatchObject({ status: 'Succeeded', attempts: 1, claimed_until: null });
    expect(sent.provider_id).toMatch(/^<.+@.+>$/);
    expect(await notification(sms)).toMatchObject({ status: 'Accepted', provider_id: 'sms-1' });
    expect((await notification(sms)).sent_at).toBeInstanceOf(Date);
    for (const id of [mail, sms]) {
      expect(await attempts(id)).toEqual([
        expect.objectContaining({ attempt: 1, outcome: 'sent', finished_at: expect.any(Date) }),
      ]);
    }
    expect(await orderStatus(o.orderId)).toMatchObject({ status: 'Completed' });
  });

  it('retries a provider failure after a doubling backoff, then succeeds', async () => {
    smsFailures = 2;
    const { id } = await order([smsTo('+4791234567')]);
    const d = dispatcher({ backoffMs: 250 });
    expect(await d.dispatchDue()).toBe(1);
    expect(await notification(id)).toMatchObject({ status: 'New', attempts: 1 });
    expect((await notification(id)).failure_reason).toMatch(/500/);
    expect(await backoffAfterLastAttempt(id)).toBe(250);
    expect(await d.dispatchDue()).toBe(0); // not due before the backoff has passed
    await sleep(270);
    expect(await d.dispatchDue()).toBe(1);
    expect(await backoffAfterLastAttempt(id)).toBe(500);
    await sleep(520);
    expect(await d.dispatchDue()).toBe(1);
    expect(await notification(id)).toMatchObject({ status: 'Accepted', attempts: 3 });
    expect(texts).toHaveLength(1);
    const tried = await attempts(id);
    expect(tried.map((a) => a.outcome)).toEqual(['failed', 'failed', 'sent']);
    expect(tried[0]!.detail).toMatch(/SMS provider answered 500.*provider down/);
  });

  it('gives up after maxAttempts: Failed with the reason, and the order is completed', async () => {
    rejected.add('nobody@bedrift.example');
    const o = await order([mailTo('nobody@bedrift.example')]);
    const d = dispatcher({ maxAttempts: 2, backoffMs: 10 });
    for (const expected of [1, 1, 0]) {
      expect(await d.dispatchDue()).toBe(expected);
      await sleep(30);
    }
    const n = await notification(o.id);
    expect(n).toMatchObject({ status: 'Failed', attempts: 2, sent_at: null });
    expect(n.failure_reason).toMatch(/^SMTP: .*mailbox unavailable/);
    expect((await attempts(o.id)).map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(await orderStatus(o.orderId)).toMatchObject({ status: 'Completed' });
    expect(mails).toHaveLength(0);
  });

  it('sends no notice at all for a purged message, and no reminder for an archived one', async () => {
    // Issue 16 §5: a purge stops every notice not yet sent; archiving counts as handled.
    const purgedNotice = await order([mailTo('c@bedrift.example')], { event: 'purged' });
    const archivedReminder = await order([smsTo('+4791234568')], {
      kind: 'REMINDER',
      event: 'archived',
    });
    const archivedNotice = await order([mailTo('d@bedrift.example')], { event: 'archived' });
    expect(await dispatcher().dispatchDue()).toBe(1);
    expect(await orderStatus(purgedNotice.orderId)).toEqual({
      status: 'SendConditionNotMet',
      status_reason: 'purged by the recipient before it was sent',
    });
    expect(await orderStatus(archivedReminder.orderId)).toEqual({
      status: 'SendConditionNotMet',
      status_reason: 'archived before the reminder',
    });
    expect(await orderStatus(archivedNotice.orderId)).toMatchObject({ status: 'Completed' });
    expect(mails.map((m) => m.to)).toEqual([['d@bedrift.example']]);
    expect(texts).toEqual([]);
  });

  it('sends no reminder for a message that was read or purged', async () => {
    const read = await order([mailTo('a@bedrift.example')], { kind: 'REMINDER', event: 'read' });
    const purged = await order([smsTo('+4791234567')], { kind: 'REMINDER', event: 'purged' });
    const notice = await order([mailTo('b@bedrift.example')], { kind: 'NOTICE', event: 'read' });
    expect(await dispatcher().dispatchDue()).toBe(1);
    expect(await orderStatus(read.orderId)).toEqual({
      status: 'SendConditionNotMet',
      status_reason: 'read before the reminder',
    });
    expect(await orderStatus(purged.orderId)).toEqual({
      status: 'SendConditionNotMet',
      status_reason: 'purged by the recipient before it was sent',
    });
    expect(await orderStatus(notice.orderId)).toMatchObject({ status: 'Completed' });
    for (const id of [read.id, purged.id]) {
      expect(await notification(id)).toMatchObject({ status: 'New', attempts: 0 });
      expect(await attempts(id)).toEqual([]);
    }
    expect(mails.map((m) => m.to)).toEqual([['b@bedrift.example']]);
    expect(texts).toEqual([]);
  });

  it('leaves notifications that are not yet due', async () => {
    const o = await order([mailTo('a@bedrift.example')], { inMs: 3_600_000 });
    expect(await dispatcher().dispatchDue()).toBe(0);
    expect(await notification(o.id)).toMatchObject({ status: 'New', attempts: 0 });
    expect(await orderStatus(o.orderId)).toMatchObject({ status: 'Registered' });
    expect(mails).toHaveLength(0);
  });

  it('two dispatchers running at once send each notice exactly once', async () => {
    const addresses = Array.from({ length: 40 }, (_, i) => `n${i}@bedrift.example`);
    for (let i = 0; i < 40; i += 2) await order(addresses.slice(i, i + 2).map((a) => mailTo(a)));
    const capture = new LogCapture();
    const sentBy = [0, 0];
    const both = sentBy.map((_, i) => {
      const email = { send: (m: EmailMessage) => (sentBy[i]!++, transports.email.send(m)) };
      const counted = { ...transports, email };
      return dispatcher({ batchSize: 3, intervalMs: 5, log: capture.log, transports: counted });
    });
    both.forEach((d) => d.start());
    await until(async () => (await open()) === 0);
    await Promise.all(both.map((d) => d.stop()));
    expect(sentBy.every((n) => n > 0)).toBe(true);
    expect(capture.lines.filter((l) => Number(l.level) >= 40)).toEqual([]); // no deadlock either
    expect(mails.flatMap((m) => m.to).sort()).toEqual([...addresses].sort());
    const [counts] = await q(
      `select count(*)::int as rows, max(attempt) as max from varsling.notification_attempt a
       join varsling.notification n on n.id = a.notification_id where n.address = any($1)`,
      [addresses],
    );
    expect(counts).toEqual({ rows: 40, max: 1 });
  });

  it('takes over from a dispatcher killed mid-batch when its lease expires: each sent once', async () => {
    const addresses = ['k0', 'k1', 'k2', 'k3'].map((k) => `${k}@bedrift.example`);
    const o = await order(addresses.map((a) => mailTo(a)));
    let calls = 0;
    // Sends the first, then hangs forever on the rest: the process died mid-batch.
    const send = (m: EmailMessage) =>
      calls++ === 0 ? transports.email.send(m) : new Promise<never>(() => {});
    void dispatcher({ transports: { ...transports, email: { send } }, leaseMs: 800 }).dispatchDue();
    await until(async () => (await notification(o.id)).status === 'Succeeded');
    const statuses = async () => (await Promise.all(o.ids.map(notification))).map((n) => n.status);
    expect(await statuses()).toEqual(['Succeeded', 'Sending', 'Sending', 'Sending']);

    const restarted = dispatcher({ leaseMs: 800 });
    expect(await restarted.dispatchDue()).toBe(0); // the dead worker's lease still holds
    await until(async () => (await restarted.dispatchDue(), (await open()) === 0));
    expect(mails.flatMap((m) => m.to).sort()).toEqual(addresses);
    expect((await attempts(o.id)).map((a) => [a.attempt, a.outcome])).toEqual([[1, 'sent']]);
    for (const id of o.ids.slice(1)) {
      expect(await notification(id)).toMatchObject({ status: 'Succeeded', attempts: 2 });
      expect((await attempts(id)).map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'abandoned'],
        [2, 'sent'],
      ]);
    }
    expect(await orderStatus(o.orderId)).toMatchObject({ status: 'Completed' });
  });

  it('fails, rather than repeats, a last attempt that left no outcome', async () => {
    const o = await order([mailTo('last@bedrift.example')]);
    const hang = { send: () => new Promise<never>(() => {}) };
    void dispatcher({
      transports: { ...transports, email: hang },
      leaseMs: 100,
      maxAttempts: 1,
    }).dispatchDue();
    await until(async () => (await notification(o.id)).status === 'Sending');
    await sleep(150);
    expect(await dispatcher({ maxAttempts: 1 }).dispatchDue()).toBe(1);
    expect(await notification(o.id)).toMatchObject({
      status: 'Failed',
      attempts: 1,
      failure_reason: 'attempt 1: no outcome recorded before the lease expired',
    });
    expect((await attempts(o.id)).map((a) => a.outcome)).toEqual(['abandoned']);
    expect(await orderStatus(o.orderId)).toMatchObject({ status: 'Completed' });
    expect(mails).toHaveLength(0);
  });

  it('names the reason when the SMS provider cannot be reached', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const settings = {
      smsProviderUrl: `http://127.0.0.1:${port}/sms`,
      smsSender: 'A',
      smtpFrom: 'a@b.no',
    };
    await expect(
      createTransports(settings, silent).sms.send({ to: '+4791234567', text: 't' }),
    ).rejects.toThrow(/^SMS provider unreachable: fetch failed: connect ECONNREFUSED/);
  });

  it('without an SMTP server or SMS provider logs what would be sent, address masked', async () => {
    const capture = new LogCapture();
    const settings = { smtpFrom: 'varsling@altinn.example', smsSender: 'Altinn' };
    const dev = createTransports(settings, capture.log);
    const o = await order([mailTo('post@bedrift.example'), smsTo('+4791234567')]);
    expect(await dispatcher({ transports: dev }).dispatchDue()).toBe(2);
    expect(capture.find({ level: 30, channel: 'EMAIL' })).toEqual([
      expect.objectContaining({
        to: 'p***@bedrift.example',
        subject: 'New message',
        text: 'Read it.',
      }),
    ]);
    expect(capture.find({ level: 30, channel: 'SMS' })).toEqual([
      expect.objectContaining({ to: '+47*****567', text: 'New message' }),
    ]);
    expect(JSON.stringify(capture.lines)).not.toMatch(/post@bedrift|91234567/);
    expect((await notification(o.id)).provider_id).toMatch(/^dev-/);
    expect(await notification(o.ids[1]!)).toMatchObject({ status: 'Accepted' });
    expect(mails).toHaveLength(0);
    await dev.close();
  });
});
