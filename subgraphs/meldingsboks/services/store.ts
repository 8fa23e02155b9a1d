import type { Run } from '../../../platform/db/transaction.js';
import { MessageStatus } from '../domain/lifecycle.js';

/** Writers announce new outbox rows here; the relay positions them. */
export const OUTBOX_RAW_CHANNEL = 'meldingsboks_outbox_raw';
/** The relay announces positioned outbox rows here; tails follow it. */
export const OUTBOX_CHANNEL = 'meldingsboks_outbox';
export const OUTBOX_TABLE = 'meldingsboks.outbox';

/** Who changed something: the organisation acted for and the token subject (or the service). */
export interface Actor {
  org: string | null;
  who: string;
}

export const PUBLISHER: Actor = { org: null, who: 'service:meldingsboks' };

/** Column changes that come with reaching a status. */
const SET_FOR: Partial<Record<MessageStatus, string>> = {
  [MessageStatus.PUBLISHED]: "published_at = now(), publish_seq = nextval('message_publish_seq'), ",
  [MessageStatus.READ]: 'read_at = coalesce(read_at, now()), ',
  [MessageStatus.CONFIRMED]: 'confirmed_at = now(), read_at = coalesce(read_at, now()), ',
};

/**
 * Moves messages to `status` (Fetched only stamps `fetched_at`: it is history, not a status),
 * appends the history rows and the outbox events, in the caller's transaction.
 */
export async function recordStatus(
  run: Run,
  messageIds: readonly string[],
  status: MessageStatus,
  actor: Actor,
): Promise<void> {
  let ids = messageIds;
  if (ids.length === 0) return;
  if (status === MessageStatus.FETCHED) {
    // Only the first opening counts; the row lock orders openings at the same moment.
    const stamped = await run<{ id: string }>(
      'update message set fetched_at = now() where id in (?) and fetched_at is null returning id',
      [ids],
    );
    ids = stamped.map((r) => r.id);
    if (ids.length === 0) return;
  } else {
    // Reading an archived message stamps read_at and records it, but it stays archived.
    const to =
      status === MessageStatus.READ
        ? `case when status = '${MessageStatus.ARCHIVED}' then status else ? end`
        : '?';
    await run(
      `update message set ${SET_FOR[status] ?? ''}status = ${to}, status_changed_at = now() where id in (?)`,
      [status, ids],
    );
  }
  await run(
    `insert into message_status (message_id, status, actor_org, actor)
     select id, ?, ?, ? from message where id in (?) order by id`,
    [status, actor.org, actor.who, ids],
  );
  await appendEvents(run, ids, status);
}

/**
 * Outbox rows for the messages, announced to the relay on commit; the relay gives them their
 * positions in commit order (platform/events/relay.ts), so writers take no lock.
 */
async function appendEvents(run: Run, ids: readonly string[], status: MessageStatus) {
  await run(
    `insert into outbox (kind, message_id, recipient_orgnr, service_code, status, sender_orgnr, title,
       classification)
     select ?, id, recipient_orgnr, service_code, ?, sender_orgnr, title, classification from message
     where id in (?) order by publish_seq, id`,
    [status === MessageStatus.PUBLISHED ? 'Published' : 'StatusChanged', status, ids],
  );
  await run('select pg_notify(?, ?)', [OUTBOX_RAW_CHANNEL, '']);
}

/**
 * An outbox event saying that what `grantee` (an organisation number or a person's pid) may read
 * of `owner`'s inbox changed, in the caller's transaction with the grant or revocation: every
 * instance drops its cached access answers for that inbox when the event reaches it.
 */
export async function recordAccessChange(run: Run, owner: string, grantee: string): Promise<void> {
  await run(`insert into outbox (kind, recipient_orgnr, grantee) values ('AccessChanged', ?, ?)`, [
    owner,
    grantee,
  ]);
  await run('select pg_notify(?, ?)', [OUTBOX_RAW_CHANNEL, '']);
}

/** A new message as stored (before its statuses). */
export interface NewMessage {
  id?: string;
  recipientOrgnr: string;
  senderOrgnr: string;
  technicalSenderOrgnr: string;
  sendersReference: string;
  messageSender: string | null;
  serviceCode: string;
  confidential: boolean;
  language: string;
  title: string;
  summary: string | null;
  body: string;
  externalReferences: unknown[];
  propertyList: unknown[];
  replyOptions: unknown[];
  dueDateTime: Date | null;
  isConfirmationNeeded: boolean;
  requestedPublishTime: Date | null;
  /** The sender's NoticeClassification; null when not given (the policies decide). */
  classification?: string | null;
  attachments: Array<{
    name: string;
    contentType: string;
    size: number;
    sha256: string;
    content: Buffer | null;
  }>;
}

/**
 * Stores a message with its attachments and its first statuses, and publishes it at once unless
 * it asks for a later time. Returns the new id, or null when the sender already sent this
 * reference (the unique key decides, so concurrent retries cannot both insert) or a message with
 * the given id exists (the demo data, kept from before an upgrade).
 */
export async function insertMessage(
  run: Run,
  m: NewMessage,
  actor: Actor,
): Promise<{ id: string; published: boolean } | null> {
  const inserted = await run<{ id: string; due: boolean }>(
    `insert into message (id, recipient_orgnr, sender_orgnr, technical_sender_orgnr,
       senders_reference, message_sender, service_code, confidential, language, title, summary,
       body, external_references, property_list, reply_options, due_date_time,
       is_confirmation_needed, requested_publish_time, publish_at, status, status_changed_at,
       classification)
     values (coalesce(?::uuid, gen_random_uuid()), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb,
       ?::jsonb, ?::jsonb, ?, ?, ?, greatest(coalesce(?::timestamptz, now()), now()), ?, now(), ?)
     on conflict do nothing
     returning id, publish_at <= now() as due`,
    [
      m.id ?? null,
      m.recipientOrgnr,
      m.senderOrgnr,
      m.technicalSenderOrgnr,
      m.sendersReference,
      m.messageSender,
      m.serviceCode,
      m.confidential,
      m.language,
      m.title,
      m.summary,
      m.body,
      JSON.stringify(m.externalReferences),
      JSON.stringify(m.propertyList),
      JSON.stringify(m.replyOptions),
      m.dueDateTime,
      m.isConfirmationNeeded,
      m.requestedPublishTime,
      m.requestedPublishTime,
      MessageStatus.INITIALIZED,
      m.classification ?? null,
    ],
  );
  const row = inserted[0];
  if (!row) return null;
  for (const [position, a] of m.attachments.entries()) {
    await run(
      `insert into attachment (message_id, position, name, content_type, size, sha256, content)
       values (?, ?, ?, ?, ?, ?, ?)`,
      [row.id, position, a.name, a.contentType, a.size, a.sha256, a.content],
    );
  }
  await run(
    `insert into message_status (message_id, status, actor_org, actor) values (?, ?, ?, ?)`,
    [row.id, MessageStatus.INITIALIZED, actor.org, actor.who],
  );
  await recordStatus(run, [row.id], MessageStatus.READY_FOR_PUBLISH, actor);
  if (row.due) await recordStatus(run, [row.id], MessageStatus.PUBLISHED, PUBLISHER);
  return { id: row.id, published: row.due };
}

/** Keeps the title guideline warnings a message got at send time (for its sender). */
export async function storeWarnings(run: Run, id: string, warnings: unknown[]): Promise<void> {
  await run('update message set guideline_warnings = ?::jsonb where id = ?', [
    JSON.stringify(warnings),
    id,
  ]);
}
