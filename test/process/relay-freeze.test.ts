import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../../platform/events/relay.js';
import { createTestDatabase, type TestDatabase } from '../harness/database.js';
import { LogCapture } from '../harness/logCapture.js';
import { freePort, startServiceProcess, type ServiceProcess } from '../harness/services.js';

/**
 * The outbox relay's leader frozen (SIGSTOP: its kernel still answers TCP keepalives, its
 * connections stay open) and its connections then cut: another relay leads within the lease, the
 * feed goes on, and the frozen one, woken, writes nothing.
 */

const LEASE_MS = 2_000;

let db: TestDatabase;
let leader: ServiceProcess | undefined;
let standby: OutboxRelay | undefined;
const logs = new LogCapture();

beforeAll(async () => {
  db = await createTestDatabase();
  const port = await freePort();
  leader = startServiceProcess({
    name: 'meldingsboks',
    script: ['dist/subgraphs/commands/service.js', 'meldingsboks'],
    port,
    portVariable: 'MELDINGSBOKS_PORT',
    healthPath: '/health',
    env: {
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      SEED_DEMO_DATA: 'false',
      // Never called here: the relay needs no peer.
      PEER_URLS: 'enhetsregisteret=http://127.0.0.1:9/graphql',
      MELDINGSBOKS_RELAY_LEASE_MS: String(LEASE_MS),
    },
  });
  await leader.healthy(60_000);
}, 90_000);
afterAll(async () => {
  if (leader?.running) {
    leader.child.kill('SIGCONT');
    leader.child.kill('SIGKILL');
  }
  await standby?.close();
  await db?.drop();
});

const lease = async () =>
  (await db.query(`select holder, token::int as token from meldingsboks.relay_lease`))[0];

/** Writes one outbox row as meldingsboks does: no position, a NOTIFY to the relay. */
async function write(): Promise<void> {
  await db.query(
    `with w as (
       insert into meldingsboks.outbox (kind, message_id, recipient_orgnr, service_code, status)
       values ('MessagePublished', gen_random_uuid(), '310000001', '4255/1', 'Published')
       returning id)
     select pg_notify('meldingsboks_outbox_raw', '') from w`,
  );
}
const unpositioned = async () =>
  (
    await db.query<{ n: number }>(
      `select count(*)::int as n from meldingsboks.outbox where position is null`,
    )
  )[0]!.n;
async function until(done: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await sleep(50);
  }
  return Date.now() - start;
}

describe('the outbox relay leader frozen, its connections cut', () => {
  it('is replaced within its lease; the feed goes on; woken, it writes nothing', async () => {
    await until(async () => (await lease()) !== undefined, 10_000);
    const first = await lease();
    expect(first!.holder).toMatch(new RegExp(`:${leader!.child.pid}:`));

    standby = new OutboxRelay({
      databaseUrl: db.url,
      table: 'meldingsboks.outbox',
      rawChannel: 'meldingsboks_outbox_raw',
      channel: 'meldingsboks_outbox',
      lockName: 'meldingsboks.outbox.relay',
      leaseTable: 'meldingsboks.relay_lease',
      leaseMs: LEASE_MS,
      pollMs: 200,
      log: logs.log,
    });
    await standby.start();
    await write();
    await until(async () => (await unpositioned()) === 0, 5_000);
    expect(standby.leading).toBe(false); // the process leads while it is alive

    leader!.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    for (let i = 0; i < 20; i++) await write();
    const tookOverMs = await until(async () => (await unpositioned()) === 0, 15_000);
    expect(standby.leading).toBe(true);
    const second = await lease();
    expect(second!.token).toBe(first!.token + 1);
    expect(Date.now() - frozenAt).toBeLessThan(LEASE_MS + 3_000);

    // Its connections cut while it is frozen, then it wakes: it finds it has lost the lead.
    const cut = await db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and application_name like $1`,
      [`%:${leader!.child.pid}`],
    );
    expect(cut.length).toBeGreaterThanOrEqual(3); // relay, its LISTEN, the tail's
    leader!.child.kill('SIGCONT');
    await sleep(LEASE_MS);
    for (let i = 0; i < 10; i++) await write();
    await until(async () => (await unpositioned()) === 0, 5_000);
    const positions = (
      await db.query<{ p: number }>(`select position::int as p from meldingsboks.outbox order by p`)
    ).map((r) => r.p);
    expect(positions).toEqual(Array.from({ length: 31 }, (_, i) => i + 1)); // gap-free, once
    expect(standby.leading).toBe(true);
    expect((await lease())!.token).toBeGreaterThanOrEqual(second!.token);
    expect(leader!.running).toBe(true); // woken, it runs on as a follower
    console.log(`relay: frozen leader replaced after ${tookOverMs} ms (lease ${LEASE_MS} ms)`);
  }, 60_000);
});
