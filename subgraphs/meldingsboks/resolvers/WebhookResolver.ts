import {
  Arg,
  Ctx,
  Field,
  ID,
  InputType,
  Int,
  Mutation,
  ObjectType,
  Query,
  Resolver,
} from 'type-graphql';
import { registerEnumType } from 'type-graphql';
import { Scope, actorName } from '../../../platform/auth/caller.js';
import { requireScope } from '../../../platform/auth/authorize.js';
import { inTransaction, type Run } from '../../../platform/db/transaction.js';
import { decodeCursor, encodeCursor } from '../../../platform/graphql/connection.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems, capLength } from '../../../platform/graphql/inputLimits.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import type { Context } from '../context.js';
import { prunedThrough } from '../services/pruner.js';
import { consumerName, newSecret, WebhookEvents } from '../services/webhooks.js';

registerEnumType(WebhookEvents, {
  name: 'WebhookEvents',
  description: 'What a webhook receives.',
  valuesConfig: {
    INBOX: { description: 'Messages published to your own inbox (dpv:read).' },
    CLIENTS: {
      description:
        "Messages published to inboxes whose grant to you holds, e.g. a firm's clients (dpv:read).",
    },
    SENT: { description: 'Publication and status changes of the messages you sent (dpv:send).' },
  },
});

export enum WebhookStatus {
  ACTIVE = 'ACTIVE',
  PAUSED = 'PAUSED',
}
registerEnumType(WebhookStatus, { name: 'WebhookStatus' });

export const MAX_URL = 2048;
export const MAX_REASON = 500;
const MAX_CURSOR = 200;

@ObjectType({
  description:
    'An HTTPS endpoint that receives, as signed CloudEvents, the events its organisation may see.',
})
export class Webhook {
  @Field(() => ID) id!: string;
  @Field(() => String, { description: 'The organisation it delivers for.' }) owner!: string;
  @Field(() => String) url!: string;
  @Field(() => [WebhookEvents]) events!: WebhookEvents[];
  @Field(() => String, { nullable: true, description: 'The one inbox it follows, if narrowed.' })
  inbox!: string | null;
  @Field(() => WebhookStatus) status!: WebhookStatus;
  @Field(() => String, { nullable: true }) pausedReason!: string | null;
  @Field(() => String, { nullable: true, description: 'Why the last delivery failed.' })
  lastError!: string | null;
  @Field(() => Int) consecutiveFailures!: number;
  @Field(() => String, {
    description: 'Every event up to this cursor has been delivered (or was not for it).',
  })
  cursor!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date, { nullable: true }) lastDeliveredAt!: Date | null;
  @Field(() => Date, {
    nullable: true,
    description: 'Until then deliveries are also signed with the secret before the last rotation.',
  })
  previousSecretValidUntil!: Date | null;
}

@ObjectType()
export class WebhookWithSecret {
  @Field(() => Webhook) webhook!: Webhook;
  @Field(() => String, { description: 'The signing secret. Shown once: store it now.' })
  secret!: string;
}

@InputType()
export class RegisterWebhookInput {
  @Field(() => String, { description: `https URL, at most ${MAX_URL} characters.` }) url!: string;
  @Field(() => [WebhookEvents]) events!: WebhookEvents[];
  @Field(() => String, {
    nullable: true,
    description: "Narrows it to one inbox: your own (with INBOX) or a client's (with CLIENTS).",
  })
  inbox?: string | null;
}

interface WebhookRow {
  id: string;
  owner_orgnr: string;
  url: string;
  events: string[];
  inbox_orgnr: string | null;
  status: string;
  paused_reason: string | null;
  last_error: string | null;
  failures: number;
  position: string;
  created_at: Date;
  delivered_at: Date | null;
  previous_secret_until: Date | null;
}

const COLUMNS = `id, owner_orgnr, url, events, inbox_orgnr, status, paused_reason, last_error,
  failures, position::text, created_at, delivered_at, previous_secret_until`;

function toWebhook(r: WebhookRow): Webhook {
  return Object.assign(new Webhook(), {
    id: r.id,
    owner: r.owner_orgnr,
    url: r.url,
    events: r.events as WebhookEvents[],
    inbox: r.inbox_orgnr,
    status: r.status as WebhookStatus,
    pausedReason: r.paused_reason,
    lastError: r.last_error,
    consecutiveFailures: r.failures,
    cursor: encodeCursor([Number(r.position)]),
    createdAt: new Date(r.created_at),
    lastDeliveredAt: r.delivered_at ? new Date(r.delivered_at) : null,
    previousSecretValidUntil:
      r.previous_secret_until && new Date(r.previous_secret_until) > new Date()
        ? new Date(r.previous_secret_until)
        : null,
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Resolver()
export class WebhookResolver {
  @Query(() => [Webhook], {
    description: "Your organisation's webhooks; every webhook for dpv:admin.",
  })
  async webhooks(@Ctx() ctx: Context): Promise<Webhook[]> {
    const admin = ctx.caller.scopes.has(Scope.DPV_ADMIN);
    if (!admin) requireOrg(ctx);
    const rows = await ctx.em.getConnection().execute<WebhookRow[]>(
      `select ${COLUMNS} from webhook where ?::boolean or owner_orgnr = ?
       order by created_at, id`,
      [admin, ctx.caller.org],
    );
    return rows.map(toWebhook);
  }

  @Mutation(() => WebhookWithSecret, {
    description:
      'Registers an endpoint for the events your organisation may see, from now on. The secret ' +
      'that signs deliveries is returned here only. INBOX and CLIENTS need dpv:read, SENT dpv:send.',
  })
  async registerWebhook(
    @Arg('input', () => RegisterWebhookInput) input: RegisterWebhookInput,
    @Ctx() ctx: Context,
  ): Promise<WebhookWithSecret> {
    const org = requireOrg(ctx);
    capLength({ field: 'input.url' }, input.url, MAX_URL);
    capItems({ field: 'input.events' }, input.events, 3);
    const events = [...new Set(input.events)];
    if (events.length === 0) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'events names one or more kinds.', {
        field: 'input.events',
      });
    }
    if (events.includes(WebhookEvents.INBOX) || events.includes(WebhookEvents.CLIENTS)) {
      requireScope(ctx.caller, Scope.DPV_READ);
    }
    if (events.includes(WebhookEvents.SENT)) requireScope(ctx.caller, Scope.DPV_SEND);
    const url = checkUrl(input.url, ctx.services.settings.webhookAllowLoopbackHttp);
    const inbox = input.inbox ?? null;
    if (inbox !== null) {
      assertOrgnr(inbox);
      const needs = inbox === org ? WebhookEvents.INBOX : WebhookEvents.CLIENTS;
      if (!events.includes(needs)) {
        throw new ClientError(
          ErrorCode.BAD_USER_INPUT,
          `Narrowing to ${inbox === org ? 'your own inbox' : "a client's inbox"} needs ${needs} in events.`,
          { field: 'input.inbox' },
        );
      }
      await ctx.access.requireView(inbox);
    }
    const max = ctx.services.settings.webhookMaxPerOrg;
    const secret = newSecret();
    const row = await inTransaction(ctx.em, async (run) => {
      await run(`select pg_advisory_xact_lock(hashtext('meldingsboks.webhook:' || ?))`, [org]);
      const [held] = await run<{ n: number }>(
        `select count(*)::int as n from webhook where owner_orgnr = ?`,
        [org],
      );
      if ((held?.n ?? 0) >= max) {
        throw new ClientError(
          ErrorCode.BAD_USER_INPUT,
          `An organisation holds at most ${max} webhooks; delete one first.`,
          { field: 'input', max },
        );
      }
      const [created] = await run<WebhookRow>(
        `insert into webhook (owner_orgnr, url, events, inbox_orgnr, secret, position, created_by)
         values (?, ?, ?::text[], ?, ?, (select coalesce(max(position), 0) from outbox), ?)
         returning ${COLUMNS}`,
        [org, url, `{${events.join(',')}}`, inbox, secret, actorName(ctx.caller)],
      );
      await run(`select acknowledge_events_v1(?, ?)`, [
        consumerName(created!.id),
        created!.position,
      ]);
      await audit(run, ctx, created!.id, 'REGISTERED', { url, events, inbox });
      return created!;
    });
    return Object.assign(new WebhookWithSecret(), { webhook: toWebhook(row), secret });
  }

  @Mutation(() => WebhookWithSecret, {
    description:
      'A new signing secret, returned here only. The previous one still signs, beside it, for ' +
      'the grace period (24 hours by default): deliveries carry both signatures until then.',
  })
  async rotateWebhookSecret(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: Context,
  ): Promise<WebhookWithSecret> {
    const secret = newSecret();
    const row = await change(ctx, id, 'SECRET_ROTATED', {}, (run) =>
      run<WebhookRow>(
        `update webhook set previous_secret = secret, secret = ?,
           previous_secret_until = now() + ?::float8 * interval '1 millisecond'
         where id = ? returning ${COLUMNS}`,
        [secret, ctx.services.settings.webhookSecretGraceMs, id],
      ),
    );
    return Object.assign(new WebhookWithSecret(), { webhook: row, secret });
  }

  @Mutation(() => Webhook, { description: 'Stops deliveries until resumed; the events wait.' })
  async pauseWebhook(
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String) reason: string,
    @Ctx() ctx: Context,
  ): Promise<Webhook> {
    capLength({ argument: 'reason' }, reason, MAX_REASON);
    if (reason.trim() === '') {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'Give a reason for the pause.', {
        argument: 'reason',
      });
    }
    return change(ctx, id, 'PAUSED', { reason }, (run) =>
      run<WebhookRow>(
        `update webhook set status = 'PAUSED', paused_reason = ?, lease_token = null,
           lease_until = null
         where id = ? returning ${COLUMNS}`,
        [reason, id],
      ),
    );
  }

  @Mutation(() => Webhook, {
    description: 'Resumes deliveries at once, from where they stopped (the backlog in order).',
  })
  async resumeWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Webhook> {
    return change(ctx, id, 'RESUMED', {}, (run) =>
      run<WebhookRow>(
        `update webhook set status = 'ACTIVE', paused_reason = null, failures = 0,
           next_attempt_at = now(), lease_token = null, lease_until = null
         where id = ? returning ${COLUMNS}`,
        [id],
      ),
    );
  }

  @Mutation(() => Webhook, {
    description:
      'Delivers again every event after `after` (a cursor from a delivery, `dpvcursor`, or the ' +
      "webhook's `cursor`), with the same ids. CURSOR_EXPIRED when those events are no longer kept.",
  })
  async replayWebhook(
    @Arg('id', () => ID) id: string,
    @Arg('after', () => String) after: string,
    @Ctx() ctx: Context,
  ): Promise<Webhook> {
    capLength({ argument: 'after' }, after, MAX_CURSOR);
    const start = Number(decodeCursor(after, 1)[0]);
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'after is not a cursor of this graph.', {
        argument: 'after',
      });
    }
    const oldest = await prunedThrough(ctx.em);
    if (start < oldest) throw expired(oldest);
    return change(ctx, id, 'REPLAYED', { after: start }, async (run) => {
      const rows = await run<WebhookRow>(
        `update webhook set position = least(?, (select coalesce(max(position), 0) from outbox)),
           failures = 0, next_attempt_at = now(), lease_token = null, lease_until = null
         where id = ? returning ${COLUMNS}`,
        [start, id],
      );
      // The consumer moves back with it, so that the pruner keeps what is to be delivered again.
      await run(`update outbox_consumer set position = ?, updated_at = now() where name = ?`, [
        start,
        consumerName(id),
      ]);
      // A prune that was under way (it holds this row) is waited for: if it went past `after`,
      // the replay is refused and nothing changes; any later batch sees the consumer moved back.
      const [mark] = await run<{ through: string }>(
        `select pruned_through::text as through from outbox_retention for update`,
      );
      if (Number(mark?.through ?? 0) > start) throw expired(Number(mark!.through));
      return rows;
    });
  }

  @Mutation(() => ID, { description: 'Deletes the webhook; returns its id.' })
  async deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<string> {
    const row = await change(ctx, id, 'DELETED', {}, async (run) => {
      const rows = await run<WebhookRow>(`delete from webhook where id = ? returning ${COLUMNS}`, [
        id,
      ]);
      await run(`delete from outbox_consumer where name = ?`, [consumerName(id)]);
      return rows;
    });
    return row.id;
  }
}

function expired(oldest: number): ClientError {
  return new ClientError(
    ErrorCode.CURSOR_EXPIRED,
    'after is older than the events still kept: replay from oldestCursor.',
    { argument: 'after', oldestCursor: encodeCursor([oldest]) },
  );
}

function requireOrg(ctx: Context): string {
  if (ctx.caller.anonymous) requireScope(ctx.caller, Scope.DPV_READ);
  if (!ctx.caller.org) {
    throw new ClientError(ErrorCode.FORBIDDEN, 'Your token names no organisation.');
  }
  return ctx.caller.org;
}

/**
 * One change to a webhook the caller may manage (its own organisation's, with a scope it was
 * made with; any for dpv:admin), with its audit row, in one transaction. Another
 * organisation's webhook is NOT_FOUND, as is one that does not exist.
 */
async function change(
  ctx: Context,
  id: string,
  action: string,
  detail: Record<string, unknown>,
  work: (run: Run) => Promise<WebhookRow[]>,
): Promise<Webhook> {
  const admin = ctx.caller.scopes.has(Scope.DPV_ADMIN);
  if (!admin) requireOrg(ctx);
  const missing = () =>
    new ClientError(ErrorCode.NOT_FOUND, 'No such webhook.', { argument: 'id' });
  if (!UUID.test(id)) throw missing();
  return inTransaction(ctx.em, async (run) => {
    const [current] = await run<{ owner_orgnr: string; events: string[] }>(
      `select owner_orgnr, events from webhook where id = ? for update`,
      [id],
    );
    if (!current || (!admin && current.owner_orgnr !== ctx.caller.org)) throw missing();
    if (!admin && !manages(ctx, current.events)) {
      throw new ClientError(
        ErrorCode.FORBIDDEN,
        'Managing this webhook needs the scopes its events need (dpv:read, dpv:send).',
      );
    }
    const [row] = await work(run);
    await audit(run, ctx, id, action, detail);
    return toWebhook(row!);
  });
}

function manages(ctx: Context, events: readonly string[]): boolean {
  const s = ctx.caller.scopes;
  const read = events.includes(WebhookEvents.INBOX) || events.includes(WebhookEvents.CLIENTS);
  return (
    (!read || s.has(Scope.DPV_READ)) &&
    (!events.includes(WebhookEvents.SENT) || s.has(Scope.DPV_SEND))
  );
}

function audit(
  run: Run,
  ctx: Context,
  id: string,
  action: string,
  detail: Record<string, unknown>,
) {
  return run(
    `insert into webhook_audit (webhook_id, action, actor, actor_org, detail) values (?, ?, ?, ?, ?)`,
    [id, action, actorName(ctx.caller), ctx.caller.org, JSON.stringify(detail)],
  );
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An absolute https URL without credentials (http to loopback when allowed); BAD_USER_INPUT else. */
function checkUrl(raw: string, allowLoopbackHttp: boolean): string {
  const bad = (why: string) =>
    new ClientError(ErrorCode.BAD_USER_INPUT, `url ${why}.`, { field: 'input.url' });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not an absolute URL');
  }
  if (url.username || url.password) throw bad('carries no credentials');
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && allowLoopbackHttp && LOOPBACK.has(url.hostname)) return url.href;
  throw bad(allowLoopbackHttp ? 'is https (or http to 127.0.0.1/localhost)' : 'is https');
}
