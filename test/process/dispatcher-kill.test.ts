import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { freePort, startServiceProcess, type ServiceProcess } from '../harness/services.js';

/**
 * A varsling process killed with SIGKILL in the middle of a batch, its SMTP server slow: another
 * process takes the notices over when the dead one's leases lapse. Every notice arrives; the only
 * repeats are notices the SMTP server had accepted before the kill that the dead process had not
 * yet recorded, and a repeat carries the same Message-ID as the first copy.
 */

const NOTICES = 30;
const LEASE_MS = 1_500;
const ACCEPT_MS = 250;

let db: TestDatabase;
const running: ServiceProcess[] = [];
/** Messages the server accepted, in order, with their Message-ID and when their data ended. */
const accepted: Array<{ to: string; messageId: string; receivedAt: number }> = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData: (stream, session, done) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const receivedAt = Date.now();
      // A server that has the whole message delivers it, even if the client is gone by the 250.
      setTimeout(() => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const messageId = /^Message-ID: (.*)\r$/im.exec(raw)?.[1] ?? '';
        for (const r of session.envelope.rcptTo) {
          accepted.push({ to: r.address, messageId, receivedAt });
        }
        done();
      }, ACCEPT_MS);
    });
  },
});

async function startVarsling(): Promise<ServiceProcess> {
  const port = await freePort();
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  const service = startServiceProcess({
    name: 'varsling',
    script: ['dist/subgraphs/commands/service.js', 'varsling'],
    port,
    portVariable: 'VARSLING_PORT',
    env: {
      DATABASE_URL: db.url,
      SEED_DEMO_DATA: 'false',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}?ignoreTLS=true`,
      VARSLING_DISPATCH_LEASE_MS: String(LEASE_MS),
    },
  });
  running.push(service);
  await service.healthy(60_000);
  return service;
}

// The killed process's connections end with a reset, which the server reports as an error.
smtp.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ECONNRESET') throw err;
});

beforeAll(async () => {
  db = await createTestDatabase();
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
}, 60_000);
afterAll(async () => {
  for (const s of running) if (s.running) s.child.kill('SIGKILL');
  await new Promise((r) => smtp.close(() => r(undefined)));
  await db?.drop();
});

describe('a varsling dispatcher killed with SIGKILL mid-batch', () => {
  it('loses no notice; repeats only what the SMTP server accepted before the kill', async () => {
    const victim = await startVarsling(); // migrates the schema
    const addresses = Array.from({ length: NOTICES }, (_, i) => `kill${i}@bedrift.example`);
    await db.query(
      `with m as (
         insert into varsling.message_event (message_id, recipient_orgnr, sender_orgnr,
           service_code, title, published_at)
         values (gen_random_uuid(), '310000001', '974761076', '4255/1', 'Vedtak', now())
         returning message_id),
       o as (
         insert into varsling.notification_order (message_id, recipient_orgnr, kind, status, planned_at)
         select message_id, '310000001', 'NOTICE', 'Registered', now() from m returning id)
       insert into varsling.notification (order_id, channel, address, subject, body, status,
         next_attempt_at)
       select o.id, 'EMAIL', a, 'Ny melding', 'Les den.', 'New', now()
       from o, unnest($1::text[]) as a`,
      [addresses],
    );
    // Five connections at 250 ms a message: 30 notices take ~1.5 s. Kill it a third of the way.
    for (const end = Date.now() + 30_000; accepted.length < 8; await sleep(10)) {
      if (Date.now() > end) throw new Error('the first notices were not sent');
    }
    victim.child.kill('SIGKILL');
    await once(victim.child, 'exit');
    // What the process wrote before it died may still be in the socket's buffers: data the
    // server finishes reading shortly after the exit was sent before the kill.
    const killedAt = Date.now() + 100;
    await sleep(ACCEPT_MS * 2); // messages whose data had arrived are accepted meanwhile
    const acceptedBeforeKill = accepted.filter((a) => a.receivedAt <= killedAt);

    await startVarsling();
    const open = async () =>
      (
        await db.query<{ n: number }>(
          `select count(*)::int as n from varsling.notification where status in ('New', 'Sending')`,
        )
      )[0]!.n;
    for (const end = Date.now() + 30_000; (await open()) > 0; await sleep(100)) {
      if (Date.now() > end) throw new Error('notices were not all sent');
    }

    // Every notice arrived.
    expect(new Set(accepted.map((a) => a.to))).toEqual(new Set(addresses));
    // Repeats: only of notices the server had in full before the kill whose first attempt was
    // never recorded (the one window no SMTP client can close).
    const rows = await db.query<{ address: string; id: string; outcomes: string[] }>(
      `select n.address, n.id::text as id,
              array_agg(a.outcome order by a.attempt) as outcomes
       from varsling.notification n join varsling.notification_attempt a on a.notification_id = n.id
       group by n.id`,
    );
    const byAddress = new Map(rows.map((r) => [r.address, r]));
    const copies = new Map<string, number>();
    for (const a of accepted) copies.set(a.to, (copies.get(a.to) ?? 0) + 1);
    const repeated = [...copies].filter(([, n]) => n > 1).map(([to]) => to);
    for (const to of repeated) {
      expect(copies.get(to)).toBe(2);
      expect(acceptedBeforeKill.map((a) => a.to)).toContain(to);
      expect(byAddress.get(to)!.outcomes).toEqual(['abandoned', 'sent']);
    }
    // Each copy of a notice carries that notice's own Message-ID.
    for (const a of accepted) {
      expect(a.messageId).toBe(`<${byAddress.get(a.to)!.id}@varsling.dpv-graph>`);
    }
    // At most the sends in flight at the kill can repeat: the pool's five connections.
    expect(repeated.length).toBeLessThanOrEqual(5);
    console.log(
      `dispatcher SIGKILL: ${NOTICES} notices, ${acceptedBeforeKill.length} taken by SMTP before ` +
        `the kill, ${repeated.length} repeated (taken by SMTP, not yet recorded)`,
    );
  }, 120_000);
});
