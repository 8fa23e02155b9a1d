import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { claimDue } from '../../subgraphs/varsling/dispatch/claim.js';
import {
  Dispatcher,
  type DispatcherOptions,
} from '../../subgraphs/varsling/dispatch/Dispatcher.js';
import { recordSent } from '../../subgraphs/varsling/dispatch/record.js';
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
/** How long the SMTP server takes to accept a message after its data, in ms. */
let smtpAcceptMs = 0;
let smtpSessions = 0;
let smtpSessionsMax = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onConnect: (_session, done) => {
    smtpSessionsMax = Math.max(smtpSessionsMax, ++smtpSessions);
    done();
  },
  onClose: () => void smtpSessions--,
  onRcptTo: (address, _session, done) =>
    done(rejected.has(address.address) ? new Error('550 mailbox unavailable') : null),
  onData: (stream, session, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const to = session.envelope.rcptTo.map((r) => r.address);
      setTimeout(() => {
        mails.push({ to, raw: Buffer.concat(chunks).toString('utf8') });
        done();
      }, smtpAcceptMs);
    });
  },
});
const texts: unknown[] = [];
/** The Idempotency-Key header of every SMS request, refused ones included. */
const smsKeys: string[] = [];
let smsFailures = 0;
const smsProvider: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    smsKeys.push(String(req.headers['idempotency-key']));
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
  mails.length = texts.length = smsKeys.length = smsFailures = smtpAcceptMs = 0;
  smtpSessionsMax = smtpSessions;
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
      const email = {
        send: (m: EmailMessage) => (sentBy[i]!++, transports.email.send(m)),
        concurrency: transports.email.concurrency,
      };
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

  it('takes over from a worker that died mid-batch once its lease expires: each sent once', async () => {
    const addresses = ['k0', 'k1', 'k2', 'k3'].map((k) => `${k}@bedrift.example`);
    const o = await order(addresses.map((a) => mailTo(a)));
    // A worker claims the batch, sends and records the first, then dies: no more renewals.
    const options = { batchSize: 10, leaseMs: 800, maxAttempts: 5 };
    const { claimed } = await claimDue(fixture.subgraph.orm.em.fork(), options);
    expect(claimed.map((n) => n.id).sort()).toEqual([...o.ids].sort());
    const first = claimed.find((n) => n.id === o.id)!;
    const m = { to: first.address, subject: '', text: first.body, messageId: `<${first.id}@x>` };
    await transports.email.send(m);
    await recordSent(fixture.subgraph.orm.em.fork(), first, null);
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
    // Claimed by a worker that died before it sent.
    await claimDue(fixture.subgraph.orm.em.fork(), { batchSize: 10, leaseMs: 100, maxAttempts: 1 });
    expect(await notification(o.id)).toMatchObject({ status: 'Sending' });
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

  it('an SMTP server slower than the lease: leases are renewed, each notice sent exactly once', async () => {
    // Each message takes 400 ms to be accepted; 5 connections; 12 notices: the last ones wait
    // ~1 s in the queue, far past a 300 ms lease that nobody renewed.
    smtpAcceptMs = 400;
    const addresses = Array.from({ length: 12 }, (_, i) => `slow${i}@bedrift.example`);
    for (const a of addresses) await order([mailTo(a)]);
    const two = [0, 1].map(() => dispatcher({ leaseMs: 300, intervalMs: 20, batchSize: 50 }));
    two.forEach((d) => d.start());
    await until(async () => (await open()) === 0, 20_000);
    await Promise.all(two.map((d) => d.stop()));
    const received = mails.flatMap((m) => m.to);
    expect(received.sort()).toEqual([...addresses].sort()); // each once: no repeat
    const [counts] = await q(
      `select count(*)::int as rows, max(attempt) as max,
              count(*) filter (where outcome = 'sent')::int as sent
       from varsling.notification_attempt a
       join varsling.notification n on n.id = a.notification_id where n.address = any($1)`,
      [addresses],
    );
    expect(counts).toEqual({ rows: 12, max: 1, sent: 12 });
    // Never more sends at once than the pool has connections.
    expect(transports.email.concurrency).toBe(5);
    expect(smtpSessionsMax).toBeLessThanOrEqual(5);
  });

  it("an e-mail carries its notice's own Message-ID, the same on a retry", async () => {
    rejected.add('flaky@bedrift.example');
    const { id } = await order([mailTo('flaky@bedrift.example')]);
    const d = dispatcher({ backoffMs: 10 });
    expect(await d.dispatchDue()).toBe(1);
    expect(await notification(id)).toMatchObject({ status: 'New', attempts: 1 });
    rejected.clear();
    await sleep(20);
    expect(await d.dispatchDue()).toBe(1);
    expect(mails).toHaveLength(1);
    const messageId = /^Message-ID: (.*)\r$/im.exec(mails[0]!.raw)?.[1];
    expect(messageId).toBe(`<${id}@varsling.dpv-graph>`);
    expect((await notification(id)).provider_id).toBe(messageId);
  });

  it('an SMS carries an idempotency key, the same on every attempt of one notice', async () => {
    smsFailures = 2;
    const a = await order([smsTo('+4791234567')]);
    const b = await order([smsTo('+4797654321')]);
    const d = dispatcher({ backoffMs: 10 });
    await until(async () => (await d.dispatchDue(), (await open()) === 0));
    expect(texts).toHaveLength(2);
    expect(smsKeys).toHaveLength(4); // two refused, then one each
    const keyOf = (id: string) => `dpv-varsling-${id}`;
    expect(new Set(smsKeys)).toEqual(new Set([keyOf(a.id), keyOf(b.id)]));
    expect(smsKeys.filter((k) => k === keyOf(a.id)).length).toBeGreaterThanOrEqual(1);
  });

  it('gives up a send with no answer in time and retries it later under the same key', async () => {
    const { id } = await order([smsTo('+4791234567')]);
    let calls = 0;
    const keys: string[] = [];
    const sms = {
      concurrency: 1,
      send: (m: { idempotencyKey: string; to: string; text: string }) => {
        keys.push(m.idempotencyKey);
        return calls++ === 0 ? new Promise<never>(() => {}) : transports.sms.send(m);
      },
    };
    const d = dispatcher({ transports: { ...transports, sms }, sendTimeoutMs: 200, backoffMs: 10 });
    expect(await d.dispatchDue()).toBe(1);
    expect(await notification(id)).toMatchObject({ status: 'New', attempts: 1 });
    expect((await notification(id)).failure_reason).toMatch(/no answer within 200 ms/);
    await sleep(20);
    expect(await d.dispatchDue()).toBe(1);
    expect(await notification(id)).toMatchObject({ status: 'Accepted', attempts: 2 });
    expect(keys).toEqual([`dpv-varsling-${id}`, `dpv-varsling-${id}`]);
    expect(smsKeys).toEqual([`dpv-varsling-${id}`]);
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
      createTransports(settings, silent).sms.send({
        to: '+4791234567',
        text: 't',
        idempotencyKey: 'k',
      }),
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
