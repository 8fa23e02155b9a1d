import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Scope } from '../../../platform/auth/caller.js';
import { requireScope } from '../../../platform/auth/authorize.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { uuidOrNil } from '../../../platform/graphql/ids.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import type { Context } from '../context.js';
import { checkSelection } from '../domain/massSelection.js';
import { validateMessage } from '../domain/validateMessage.js';
import { MassSending, MassSendingFailure } from '../entities/MassSending.js';
import { assertMaySend } from '../services/senders.js';
import { Enhet } from './Enhet.js';
import type { SendMessageInput } from './inputs.js';
import {
  MAX_FORMS,
  MAX_LISTED_RECIPIENTS,
  SendMessagesInput,
  type RecipientFilter,
} from './massInputs.js';
import { actingOrg, actorOf } from './SendResolver.js';

const MAX_REFERENCE = 4000;
const MAX_FAILURES = 1000;

function bad(field: string, message: string, extensions: Record<string, unknown> = {}) {
  return new ClientError(ErrorCode.BAD_USER_INPUT, message, { field, ...extensions });
}

// The shapes Enhetsregisteret stores; anything else could only match nothing.
const SHAPES: Array<[keyof RecipientFilter, RegExp, string]> = [
  ['kommunenummer', /^\d{4}$/, 'four digits'],
  ['postnummer', /^\d{4}$/, 'four digits'],
  ['naeringskode', /^\d{2}(\.\d{1,3})?$/, 'like 62 or 62.010'],
];

/** The filter as Enhetsregisteret's EnhetFilter takes it, checked; only the fields given. */
function checkedFilter(f: RecipientFilter): Record<string, unknown> {
  for (const [field, shape, what] of SHAPES) {
    const v = f[field];
    if (v != null && !shape.test(String(v))) {
      throw bad(`filter.${field}`, `filter.${field} must be ${what}.`);
    }
  }
  capItems({ field: 'filter.organisasjonsform' }, f.organisasjonsform ?? undefined, MAX_FORMS);
  for (const form of f.organisasjonsform ?? []) {
    if (!/^[A-Z]{2,5}$/.test(form)) {
      throw bad('filter.organisasjonsform', 'An organisasjonsform is a code such as AS or ENK.');
    }
  }
  for (const field of ['fraAntallAnsatte', 'tilAntallAnsatte'] as const) {
    const v = f[field];
    if (v != null && v < 0) throw bad(`filter.${field}`, `filter.${field} must not be negative.`);
  }
  return Object.fromEntries(Object.entries({ ...f }).filter(([, v]) => v != null));
}

@Resolver(() => MassSending)
export class MassSendingResolver {
  @Mutation(() => MassSending, {
    description:
      'Sends one message to many enheter (scope dpv:send, as sendMessage): to the listed ' +
      'recipients, or to every enhet the filter finds in Enhetsregisteret. Answers at once with ' +
      'the sending; the messages go out as a throttled job that survives restarts (poll ' +
      'massSending). The same sendersReference again returns the first sending. A ' +
      'SERVICEMELDING to a filter not limited by kommune/postnummer, næringskode, ' +
      'organisasjonsform or employees is SELECTION_TOO_WIDE.',
  })
  async sendMessages(
    @Arg('input', () => SendMessagesInput) input: SendMessagesInput,
    @Ctx() ctx: Context,
  ): Promise<MassSending> {
    const org = actingOrg(ctx.caller, Scope.DPV_SEND);
    if ((input.recipients == null) === (input.filter == null)) {
      throw bad('recipients', 'Give either recipients or filter.');
    }
    capItems({ field: 'recipients' }, input.recipients ?? undefined, MAX_LISTED_RECIPIENTS);
    for (const r of input.recipients ?? []) assertOrgnr(r);
    const filter = input.filter ? checkedFilter(input.filter) : null;
    if (input.sendersReference.length > MAX_REFERENCE) {
      throw bad('sendersReference', `sendersReference is longer than ${MAX_REFERENCE}.`, {
        max: MAX_REFERENCE,
      });
    }
    checkSelection(input.classification, input.filter ?? null);
    // Checked as one message would be (to the caller, as a stand-in recipient, no attachments).
    const checked = validateMessage(
      { ...input, recipient: org, attachments: [] } as unknown as SendMessageInput,
      org,
      0,
    );
    await assertMaySend(ctx.em, org, checked.senderOrgnr);
    const { sendersReference } = checked;
    const template: Partial<typeof checked> = { ...checked };
    delete template.recipientOrgnr;
    delete template.sendersReference;
    delete template.attachments;
    const earlier = await this.sending(ctx, org, sendersReference);
    if (earlier) return earlier;
    await ctx.em.getConnection().execute(
      `insert into mass_sending (technical_sender_orgnr, sender_orgnr, senders_reference,
         classification, message, recipients, filter, created_by)
       values (?, ?, ?, ?, ?::jsonb, ?::text[], ?::jsonb, ?) on conflict do nothing`,
      [
        org,
        checked.senderOrgnr,
        sendersReference,
        input.classification,
        JSON.stringify(template),
        input.recipients ? `{${[...new Set(input.recipients)].join(',')}}` : null,
        filter ? JSON.stringify(filter) : null,
        actorOf(ctx.caller).who,
      ],
    );
    const sending = await this.sending(ctx, org, sendersReference);
    if (!sending) throw new Error('the mass sending just stored is gone');
    ctx.log.info({ massSending: sending.id }, 'mass sending accepted');
    return sending;
  }

  private sending(ctx: Context, org: string, sendersReference: string) {
    return ctx.em.fork().findOne(MassSending, { technicalSenderOrgnr: org, sendersReference });
  }

  @Query(() => MassSending, {
    nullable: true,
    description:
      'A mass sending and its progress: yours (dpv:send, as its technical or real sender) or ' +
      'any (dpv:admin); null when there is none you may see; FORBIDDEN without either scope.',
  })
  async massSending(@Arg('id', () => ID) id: string, @Ctx() ctx: Context) {
    const admin = ctx.caller.scopes.has(Scope.DPV_ADMIN);
    if (!admin) requireScope(ctx.caller, Scope.DPV_SEND);
    const found = await ctx.em.fork().findOne(MassSending, { id: uuidOrNil(id) });
    if (!found) return null;
    const own =
      ctx.caller.scopes.has(Scope.DPV_SEND) &&
      (ctx.caller.org === found.technicalSenderOrgnr || ctx.caller.org === found.senderOrgnr);
    return admin || own ? found : null;
  }

  @FieldResolver(() => [MassSendingFailure], {
    description: `The recipients that got no message, by number (at most ${MAX_FAILURES}).`,
  })
  async failures(
    @Root() sending: MassSending,
    @Arg('first', () => Int, { defaultValue: 100 }) first: number,
    @Ctx() ctx: Context,
  ): Promise<MassSendingFailure[]> {
    if (!Number.isInteger(first) || first < 0 || first > MAX_FAILURES) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, `first must be 0 to ${MAX_FAILURES}.`, {
        argument: 'first',
        max: MAX_FAILURES,
      });
    }
    const rows = await ctx.em
      .getConnection()
      .execute<Array<{ organisasjonsnummer: string; error_code: string; error: string }>>(
        `select organisasjonsnummer, error_code, error from mass_sending_recipient
       where mass_sending_id = ? and state = 'FAILED' order by organisasjonsnummer limit ?`,
        [sending.id, first],
      );
    return rows.map((r) => ({
      organisasjonsnummer: r.organisasjonsnummer,
      code: r.error_code,
      message: r.error,
    }));
  }

  @FieldResolver(() => Enhet, { description: 'Avsender: the body the messages are from.' })
  sender(@Root() sending: MassSending): Enhet {
    return { organisasjonsnummer: sending.senderOrgnr };
  }

  @FieldResolver(() => Enhet, { description: 'The approved sender that sends them.' })
  technicalSender(@Root() sending: MassSending): Enhet {
    return { organisasjonsnummer: sending.technicalSenderOrgnr };
  }
}
