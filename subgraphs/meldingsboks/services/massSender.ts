import { randomUUID } from 'node:crypto';
import type { MikroORM } from '../../../platform/db/orm.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';
import { ErrorCode } from '../../../platform/graphql/errors.js';
import type { PeerClient } from '../../../platform/http/peer.js';
import type { Logger } from '../../../platform/runtime/logger.js';
import type { DpvService } from '../domain/services.js';
import { titleWarnings } from '../domain/titleGuidelines.js';
import { MassSendingStatus } from '../entities/MassSending.js';
import { senderRefusal } from './senders.js';
import { insertMessage, storeWarnings, type NewMessage } from './store.js';

/** Recipients asked of Enhetsregisteret at a time (its largest page). */
const PAGE = 100;

export interface MassSenderOptions {
  /** How often a step is taken. @default 1000 */
  intervalMs: number;
  /** Messages sent in one step: with intervalMs, the throttle. @default 20 */
  batch: number;
  /** How long a claimed job stays this instance's without a step. @default 30000 */
  leaseMs: number;
}

interface Job {
  id: string;
  status: MassSendingStatus;
  technical_sender_orgnr: string;
  sender_orgnr: string;
  senders_reference: string;
  classification: string;
  message: Record<string, unknown>;
  recipients: string[] | null;
  filter: Record<string, unknown> | null;
  resolve_cursor: string | null;
  created_by: string;
}

interface Found {
  organisasjonsnummer: string;
  navn: string | null;
  active: boolean;
}

/**
 * Works off mass sendings (sendMessages), one step a tick: a page of recipients resolved in
 * Enhetsregisteret, or a batch of messages sent. State is in PostgreSQL; a job is held by a
 * lease, so any number of instances may run and a job left by a stopped or crashed instance is
 * taken up where it was once its lease ends. Each recipient goes from PENDING to SENT with its
 * message in one transaction, and each message's reference is the sending's plus the
 * recipient, so no recipient gets two messages whatever is retried.
 */
export class MassSender {
  private readonly owner = `mass-sender:${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly orm: MikroORM,
    private readonly enhetsregisteret: PeerClient,
    private readonly options: MassSenderOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.schedule();
  }

  /** Takes one step of the job whose turn it is; false when there was none. */
  async step(): Promise<boolean> {
    const job = await this.claim();
    if (!job) return false;
    if (job.status === MassSendingStatus.RESOLVING) await this.resolve(job);
    else await this.send(job);
    return true;
  }

  private async claim(): Promise<Job | null> {
    const rows = await this.orm.em.getConnection().execute<Job[]>(
      `update mass_sending set lease_owner = ?, lease_until = now() + ? * interval '1 millisecond',
         stepped_at = clock_timestamp()
       where id = (select id from mass_sending
         where status in ('RESOLVING', 'SENDING')
           and (lease_until is null or lease_until < now() or lease_owner = ?)
         order by stepped_at nulls first, created_at limit 1 for update skip locked)
       returning id, status, technical_sender_orgnr, sender_orgnr, senders_reference,
         classification, message, recipients, filter, resolve_cursor, created_by`,
      [this.owner, this.options.leaseMs, this.owner],
    );
    return rows[0] ?? null;
  }

  /** One page of recipients: from the filter by Enhetsregisteret's search, or from the list. */
  private async resolve(job: Job): Promise<void> {
    let found: Found[];
    let cursor: string | null;
    if (job.filter) {
      const data = await this.enhetsregisteret.request<{
        enheter: {
          nodes: Array<{ organisasjonsnummer: string; navn: string | null }>;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      }>(
        `query Mottakere($filter: EnhetFilter, $after: String) {
          enheter(filter: $filter, first: ${PAGE}, after: $after) {
            nodes { organisasjonsnummer navn } pageInfo { hasNextPage endCursor }
          }
        }`,
        { filter: job.filter, after: job.resolve_cursor },
      );
      found = data.enheter.nodes.map((n) => ({ ...n, active: true }));
      cursor = data.enheter.pageInfo.hasNextPage ? data.enheter.pageInfo.endCursor : null;
    } else {
      const list = job.recipients ?? [];
      const from = Number(job.resolve_cursor ?? 0);
      const chunk = list.slice(from, from + PAGE);
      found = await this.lookUp(chunk);
      cursor = from + PAGE < list.length ? String(from + PAGE) : null;
    }
    await this.holding(job, async (run) => {
      const active = found.filter((f) => f.active);
      const gone = found.filter((f) => !f.active);
      await run(
        `insert into mass_sending_recipient (mass_sending_id, organisasjonsnummer, navn)
         select ?, x.o, x.n from jsonb_to_recordset(?::jsonb) as x(o text, n text)
         on conflict do nothing`,
        [job.id, JSON.stringify(active.map((f) => ({ o: f.organisasjonsnummer, n: f.navn })))],
      );
      const failed = await run(
        `insert into mass_sending_recipient (mass_sending_id, organisasjonsnummer, state,
           error_code, error)
         select ?, x.o, 'FAILED', ?, x.o || ' is not a registered enhet (or it is deleted).'
         from jsonb_to_recordset(?::jsonb) as x(o text)
         on conflict do nothing returning 1`,
        [
          job.id,
          ErrorCode.RECIPIENT_NOT_FOUND,
          JSON.stringify(gone.map((f) => ({ o: f.organisasjonsnummer }))),
        ],
      );
      await run(
        `update mass_sending set resolve_cursor = ?, failed = failed + ?,
           total = (select count(*) from mass_sending_recipient where mass_sending_id = ?),
           status = ? where id = ?`,
        [
          cursor,
          failed.length,
          job.id,
          cursor === null ? MassSendingStatus.SENDING : MassSendingStatus.RESOLVING,
          job.id,
        ],
      );
    });
  }

  /** Which of the listed enheter are registered and not deleted, in one call. */
  private async lookUp(orgnrs: string[]): Promise<Found[]> {
    if (orgnrs.length === 0) return [];
    const data = await this.enhetsregisteret.request<{
      _entities: Array<{
        organisasjonsnummer: string;
        navn: string | null;
        slettedato: string | null;
      } | null>;
    }>(
      `query Mottakere($r: [_Any!]!) {
        _entities(representations: $r) { ... on Enhet { organisasjonsnummer navn slettedato } }
      }`,
      { r: orgnrs.map((o) => ({ __typename: 'Enhet', organisasjonsnummer: o })) },
    );
    return orgnrs.map((o, i) => {
      const e = data._entities[i];
      return { organisasjonsnummer: o, navn: e?.navn ?? null, active: !!e && !e.slettedato };
    });
  }

  /** One batch of messages; the sending is complete when no recipient is left. */
  private async send(job: Job): Promise<void> {
    const em = this.orm.em.fork();
    const refusal = await senderRefusal(em, job.technical_sender_orgnr, job.sender_orgnr);
    if (refusal) {
      await this.holding(job, (run) =>
        run(
          `update mass_sending set status = 'FAILED', error = ?, completed_at = now(),
             lease_owner = null, lease_until = null where id = ?`,
          [refusal.message, job.id],
        ),
      );
      this.log.warn({ massSending: job.id, reason: refusal.message }, 'mass sending stopped');
      return;
    }
    const pending = await em
      .getConnection()
      .execute<Array<{ organisasjonsnummer: string; navn: string | null }>>(
        `select organisasjonsnummer, navn from mass_sending_recipient
       where mass_sending_id = ? and state = 'PENDING' order by organisasjonsnummer limit ?`,
        [job.id, this.options.batch],
      );
    for (const recipient of pending) {
      if (this.stopped) return;
      await this.sendOne(job, recipient);
    }
    if (pending.length < this.options.batch) {
      await this.holding(job, (run) =>
        run(
          `update mass_sending set status = 'COMPLETED', completed_at = now(),
             lease_owner = null, lease_until = null
           where id = ? and not exists (select 1 from mass_sending_recipient
             where mass_sending_id = ? and state = 'PENDING')`,
          [job.id, job.id],
        ),
      );
    }
  }

  private async sendOne(
    job: Job,
    recipient: { organisasjonsnummer: string; navn: string | null },
  ): Promise<void> {
    const t = job.message;
    const message = {
      ...(t as unknown as NewMessage),
      dueDateTime: t.dueDateTime ? new Date(String(t.dueDateTime)) : null,
      requestedPublishTime: t.requestedPublishTime
        ? new Date(String(t.requestedPublishTime))
        : null,
      attachments: [],
      recipientOrgnr: recipient.organisasjonsnummer,
      sendersReference: `${job.senders_reference}/${recipient.organisasjonsnummer}`,
      // Notify's classification of the message (issue 16 §2), carried for each message.
      classification: job.classification,
    } satisfies NewMessage & { classification: string };
    const warnings = titleWarnings(message.title, recipient, message.serviceCode as DpvService);
    await this.holding(job, async (run) => {
      const stored = await insertMessage(run, message, {
        org: job.technical_sender_orgnr,
        who: job.created_by,
      });
      if (stored && warnings.length > 0) await storeWarnings(run, stored.id, warnings);
      const [row] = stored
        ? [stored]
        : await run<{ id: string }>(
            'select id from message where technical_sender_orgnr = ? and senders_reference = ?',
            [job.technical_sender_orgnr, message.sendersReference],
          );
      const marked = await run(
        `update mass_sending_recipient set state = 'SENT', message_id = ?
         where mass_sending_id = ? and organisasjonsnummer = ? and state = 'PENDING' returning 1`,
        [row!.id, job.id, recipient.organisasjonsnummer],
      );
      if (marked.length > 0) {
        await run('update mass_sending set sent = sent + 1 where id = ?', [job.id]);
      }
    });
  }

  /** Runs `work` in a transaction only while this instance still holds the job's lease. */
  private holding<T>(job: Job, work: (run: Run) => Promise<T>): Promise<T> {
    return inTransaction(this.orm.em.fork(), async (run) => {
      const held = await run(
        `select 1 from mass_sending where id = ? and lease_owner = ? for update`,
        [job.id, this.owner],
      );
      if (held.length === 0) throw new Error(`lost the lease of mass sending ${job.id}`);
      return work(run);
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.step()
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err }, 'mass sending step failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops after the step in hand and lets go of this instance's leases, for another to go on at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    try {
      await this.orm.em
        .getConnection()
        .execute(
          'update mass_sending set lease_owner = null, lease_until = null where lease_owner = ?',
          [this.owner],
        );
    } catch (err) {
      // As after a crash: the leases end by themselves.
      this.log.warn({ err }, 'mass sending leases not given back');
    }
  }
}
