import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Scope, type Caller } from '../../../platform/auth/caller.js';
import type { MikroORM } from '../../../platform/db/orm.js';
import { inTransaction } from '../../../platform/db/transaction.js';
import { encodeCursor } from '../../../platform/graphql/connection.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import { AccessPolicy, viewAllows } from '../access.js';
import type { PersonRoleChecker } from './personRoles.js';
import type { RoleChecker } from './roles.js';

/** What a subscription receives: its own inbox, its clients' inboxes (by grant), its sent post. */
export enum WebhookEvents {
  INBOX = 'INBOX',
  CLIENTS = 'CLIENTS',
  SENT = 'SENT',
}

export const EVENT_TYPE = {
  Published: 'no.digdir.dpv.message.published',
  StatusChanged: 'no.digdir.dpv.message.status-changed',
} as const;

export const EVENT_SOURCE = 'urn:no:digdir:dpv:meldingsboks';

export interface WebhookDispatchSettings {
  pollMs: number;
  timeoutMs: number;
  leaseMs: number;
  maxFailures: number;
  backoffBaseMs: number;
  backoffCapMs: number;
}

/** A fresh secret: returned once to the owner, kept to sign. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `v1,<base64 HMAC-SHA256 of "<timestamp>.<body>">`, the key being the secret's UTF-8 bytes. */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('base64')}`;
}

/** The consumer name a subscription holds back the pruner under. */
export const consumerName = (id: string) => `webhook:${id}`;

/** Exponential backoff after the n-th consecutive failure (n ≥ 1), capped. */
export function backoffMs(
  failures: number,
  s: Pick<WebhookDispatchSettings, 'backoffBaseMs' | 'backoffCapMs'>,
): number {
  return Math.min(s.backoffCapMs, s.backoffBaseMs * 2 ** Math.min(failures - 1, 30));
}

/** The identity deliveries are checked as: the owner with the scopes its events were granted on. */
export function callerOf(owner: string, events: readonly string[]): Caller {
  const scopes = new Set<string>();
  if (events.includes(WebhookEvents.INBOX) || events.includes(WebhookEvents.CLIENTS)) {
    scopes.add(Scope.DPV_READ);
  }
  if (events.includes(WebhookEvents.SENT)) scopes.add(Scope.DPV_SEND);
  return Object.freeze({
    anonymous: false,
    sub: `webhook:${owner}`,
    org: owner,
    pid: null,
    actingFor: null,
    scopes,
  });
}

interface Claimed {
  id: string;
  owner_orgnr: string;
  url: string;
  events: string[];
  inbox_orgnr: string | null;
  secret: string;
  previous_secret: string | null;
  previous_valid: boolean;
  position: string;
  failures: number;
}

interface Row {
  position: string;
  kind: 'Published' | 'StatusChanged';
  message_id: string;
  recipient_orgnr: string;
  service_code: string;
  status: string;
  at: Date;
}

interface MessageRow {
  id: string;
  sender_orgnr: string;
  technical_sender_orgnr: string;
  title: string;
}

const BATCH = 100;
/** Subscriptions one instance delivers to at the same time. */
const CONCURRENCY = 10;
const MAX_ERROR = 500;

/**
 * Delivers outbox events to webhook subscriptions. Any number of instances may run: each claims
 * due subscriptions with SKIP LOCKED under a lease (a token every write is fenced by), and
 * delivers one subscription's events one at a time in position order, so that order per inbox
 * holds. A delivery is checked against the owner's access when it is made.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly orm: MikroORM,
    private readonly roles: RoleChecker,
    /** Deliveries are checked as an organisation, never a person: asked only for persons. */
    private readonly personRoles: PersonRoleChecker,
    private readonly settings: WebhookDispatchSettings,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  /**
   * Claims what is due (as many as there is room for beside the work in flight) and starts
   * delivering it; returns how many subscriptions were claimed. A slow endpoint holds up only
   * its own subscription.
   */
  async runOnce(): Promise<number> {
    const room = CONCURRENCY - this.inFlight.size;
    if (room <= 0) return 0;
    const token = randomUUID();
    const claimed = await this.orm.em
      .fork()
      .getConnection()
      .execute<Claimed[]>(
        `update webhook w set lease_token = ?, lease_until = now() + ?::float8 * interval '1 millisecond'
       where w.id in (
         select id from webhook s
         where s.status = 'ACTIVE' and s.next_attempt_at <= now()
           and (s.lease_until is null or s.lease_until < now())
           and exists (select 1 from outbox o where o.position > s.position)
         order by s.next_attempt_at limit ${room} for update skip locked)
       returning id, owner_orgnr, url, events, inbox_orgnr, secret, previous_secret,
         coalesce(previous_secret_until > now(), false) as previous_valid, position::text, failures`,
        [token, this.settings.leaseMs],
      );
    for (const sub of claimed) {
      const work: Promise<void> = this.work(sub, token)
        .catch((err: unknown) =>
          this.log.error({ err, webhook: sub.id }, 'webhook delivery failed unexpectedly'),
        )
        .finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
    return claimed.length;
  }

  /** Delivers one subscription's backlog until it is done, a delivery fails, or the lease is gone. */
  private async work(sub: Claimed, token: string): Promise<void> {
    let through = Number(sub.position);
    let failures = sub.failures;
    for (;;) {
      if (this.stopped) return this.release(sub.id, token, through);
      const em = this.orm.em.fork();
      const rows = await em.getConnection().execute<Row[]>(
        `select position::text, kind, message_id, recipient_orgnr, service_code, status, at
         from outbox where position > ? order by position limit ${BATCH}`,
        [through],
      );
      if (rows.length === 0) return this.release(sub.id, token, through);
      // Each delivery asks afresh (a fresh policy, so no answer is cached across events): a
      // revoked grant or an ended role counts from the next event on.
      const access = () =>
        new AccessPolicy(
          callerOf(sub.owner_orgnr, sub.events),
          this.orm.em.fork(),
          this.roles,
          this.personRoles,
        );
      const messages = await this.messages(em, rows);
      for (const row of rows) {
        const event = await this.eventFor(sub, row, access, messages);
        const position = Number(row.position);
        if (!event) {
          through = position;
          continue;
        }
        const outcome = await this.deliver(sub, event);
        if (outcome.ok) {
          failures = 0;
          through = position;
          if (!(await this.advance(sub.id, token, through, outcome))) return;
          continue;
        }
        if (this.stopped) return this.release(sub.id, token, through);
        failures += 1;
        await this.fail(sub.id, token, through, position, failures, outcome);
        return;
      }
      if (!(await this.advance(sub.id, token, through, null))) return;
    }
  }

  private async messages(em: EntityManager, rows: Row[]): Promise<Map<string, MessageRow>> {
    const ids = [...new Set(rows.map((r) => r.message_id))];
    const found = await em
      .getConnection()
      .execute<MessageRow[]>(
        `select id, sender_orgnr, technical_sender_orgnr, title from message where id in (?)`,
        [ids],
      );
    return new Map(found.map((m) => [m.id, m]));
  }

  /** The CloudEvent this subscription gets for `row`, or null when it gets none. */
  private async eventFor(
    sub: Claimed,
    row: Row,
    access: () => AccessPolicy,
    messages: Map<string, MessageRow>,
  ): Promise<CloudEvent | null> {
    const message = messages.get(row.message_id);
    if (!message) return null;
    const owner = sub.owner_orgnr;
    const inboxOk = !sub.inbox_orgnr || sub.inbox_orgnr === row.recipient_orgnr;
    const sent =
      sub.events.includes(WebhookEvents.SENT) &&
      (message.sender_orgnr === owner || message.technical_sender_orgnr === owner);
    let received = false;
    if (row.kind === 'Published' && inboxOk) {
      const own = row.recipient_orgnr === owner;
      const wanted = own
        ? sub.events.includes(WebhookEvents.INBOX)
        : sub.events.includes(WebhookEvents.CLIENTS);
      if (wanted) {
        const view = await access().view(row.recipient_orgnr);
        received = !!view && viewAllows(view, row.service_code);
      }
    }
    if (!sent && !received) return null;
    const position = Number(row.position);
    return {
      specversion: '1.0',
      id: String(position),
      type: EVENT_TYPE[row.kind],
      source: EVENT_SOURCE,
      subject: row.message_id,
      time: new Date(row.at).toISOString(),
      datacontenttype: 'application/json',
      dpvcursor: encodeCursor([position]),
      data: {
        messageId: row.message_id,
        recipient: row.recipient_orgnr,
        sender: message.sender_orgnr,
        serviceCode: row.service_code,
        title: message.title,
        status: row.status,
      },
    };
  }

  private async deliver(sub: Claimed, event: CloudEvent): Promise<Outcome> {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const signatures = [sign(sub.secret, timestamp, body)];
    if (sub.previous_secret && sub.previous_valid) {
      signatures.push(sign(sub.previous_secret, timestamp, body));
    }
    const started = performance.now();
    const position = Number(event.id);
    try {
      const response = await fetch(sub.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'content-type': 'application/cloudevents+json',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatures.join(' '),
        },
        body,
        signal: AbortSignal.any([
          AbortSignal.timeout(this.settings.timeoutMs),
          this.stopping.signal,
        ]),
      });
      await response.body?.cancel().catch(() => undefined);
      const ms = Math.round(performance.now() - started);
      if (response.status >= 200 && response.status < 300) {
        return { ok: true, position, status: response.status, ms, error: null };
      }
      return { ok: false, position, status: response.status, ms, error: `HTTP ${response.status}` };
    } catch (err) {
      const ms = Math.round(performance.now() - started);
      const name = (err as Error).name;
      const error =
        name === 'TimeoutError'
          ? `no answer within ${this.settings.timeoutMs} ms`
          : `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}`;
      return { ok: false, position, status: null, ms, error: error.slice(0, MAX_ERROR) };
    }
  }

  /** Moves the subscription on (fenced by the lease), renews the lease, and acknowledges. */
  private async advance(id: string, token: string, through: number, outcome: Outcome | null) {
    return inTransaction(this.orm.em.fork(), async (run) => {
      const moved = await run(
        `update webhook set position = ?, failures = 0, last_error = null,
           delivered_at = case when ? then now() else delivered_at end,
           lease_until = now() + ?::float8 * interval '1 millisecond'
         where id = ? and lease_token = ? and status = 'ACTIVE' returning 1`,
        [through, outcome !== null, this.settings.leaseMs, id, token],
      );
      if (moved.length === 0) return false;
      if (outcome) await this.attempt(run, id, outcome);
      await run(`select acknowledge_events_v1(?, ?)`, [consumerName(id), through]);
      return true;
    });
  }

  private async fail(
    id: string,
    token: string,
    through: number,
    position: number,
    failures: number,
    outcome: Outcome,
  ): Promise<void> {
    const pause = failures >= this.settings.maxFailures;
    const reason = pause
      ? `${failures} consecutive failed deliveries (event ${position}): ${outcome.error}`
      : null;
    await inTransaction(this.orm.em.fork(), async (run) => {
      const updated = await run(
        `update webhook set position = ?, failures = ?, last_error = ?,
           next_attempt_at = now() + ?::float8 * interval '1 millisecond',
           status = case when ? then 'PAUSED' else status end,
           paused_reason = case when ? then ? else paused_reason end,
           lease_token = null, lease_until = null
         where id = ? and lease_token = ? and status = 'ACTIVE' returning 1`,
        [
          through,
          failures,
          outcome.error,
          backoffMs(failures, this.settings),
          pause,
          pause,
          reason,
          id,
          token,
        ],
      );
      if (updated.length === 0) return;
      await this.attempt(run, id, outcome);
      await run(`select acknowledge_events_v1(?, ?)`, [consumerName(id), through]);
      if (pause) {
        await run(
          `insert into webhook_audit (webhook_id, action, actor, detail) values (?, 'PAUSED', 'system', ?)`,
          [id, JSON.stringify({ reason })],
        );
        this.log.warn({ webhook: id, reason }, 'a webhook was paused after repeated failures');
      }
    });
  }

  private attempt(run: Parameters<Parameters<typeof inTransaction>[1]>[0], id: string, o: Outcome) {
    return run(
      `insert into webhook_attempt (webhook_id, position, status_code, error, duration_ms)
       values (?, ?, ?, ?, ?)`,
      [id, o.position, o.status, o.error, o.ms],
    );
  }

  private async release(id: string, token: string, through: number): Promise<void> {
    await inTransaction(this.orm.em.fork(), async (run) => {
      const released = await run(
        `update webhook set position = ?, lease_token = null, lease_until = null
         where id = ? and lease_token = ? returning 1`,
        [through, id, token],
      );
      if (released.length > 0) {
        await run(`select acknowledge_events_v1(?, ?)`, [consumerName(id), through]);
      }
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((err: unknown) => this.log.error({ err }, 'webhook dispatch failed'))
        .finally(() => this.schedule());
    }, this.settings.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.running;
    await Promise.all([...this.inFlight]);
  }
}

interface Outcome {
  ok: boolean;
  position: number;
  status: number | null;
  ms: number;
  error: string | null;
}

/** A CloudEvents 1.0 event in structured mode. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** Extension attribute: the cursor to replay from (after this event). */
  dpvcursor: string;
  data: {
    messageId: string;
    recipient: string;
    sender: string;
    serviceCode: string;
    title: string;
    status: string;
  };
}
