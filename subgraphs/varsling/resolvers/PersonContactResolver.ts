import { Arg, Ctx, Field, FieldResolver, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { requireScope } from '../../../platform/auth/authorize.js';
import { Scope } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems, capLength } from '../../../platform/graphql/inputLimits.js';
import { preview } from '../../../platform/graphql/preview.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import { ADMINISTERING_ROLES } from '../../domain/personRoles.js';
import type { Context } from '../context.js';
import { SERVICE_DESCRIPTIONS } from '../domain/templates.js';
import { Enhet } from './Message.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NORWEGIAN_MOBILE = /^\+47[49]\d{7}$/;
const SERVICES = Object.keys(SERVICE_DESCRIPTIONS);

@ObjectType({
  description:
    "Din kontaktinformasjon: a person's own e-mail address and mobile number for one enhet's " +
    'notices. The person is notified only of messages the person may read.',
})
export class ContactDetails {
  @Field(() => String, { nullable: true }) email!: string | null;
  @Field(() => String, { nullable: true }) mobile!: string | null;
  @Field(() => [String], {
    description: 'Service codes (e.g. 4255/8) the person wants notices for; empty: all.',
  })
  services!: string[];
  @Field(() => Date) updatedAt!: Date;
}

interface Row {
  email: string | null;
  mobile: string | null;
  service_codes: string[];
  updated_at: Date;
}
const toDetails = (r: Row): ContactDetails => ({
  email: r.email,
  mobile: r.mobile,
  services: r.service_codes,
  updatedAt: new Date(r.updated_at),
});

/** The caller is a person acting for `enhet` (dpv:read); returns the person's identifier. */
function personActingFor(ctx: Context, enhet: string): string {
  requireScope(ctx.caller, Scope.DPV_READ);
  const { pid, actingFor } = ctx.caller;
  if (!pid || actingFor !== enhet) {
    throw new ClientError(
      ErrorCode.FORBIDDEN,
      `Only a person acting for ${preview(enhet)} has contact details there.`,
    );
  }
  return pid;
}

/** What meldingsboks lets the person read of the enhet: anything at all (a role or a right). */
async function mayReadAny(ctx: Context, enhet: string, pid: string): Promise<boolean> {
  const meldingsboks = ctx.services.meldingsboks;
  if (!meldingsboks) return false;
  const data = await meldingsboks.request<{ personAccess: Array<{ person: string }> }>(
    `query PersonAccess($enhet: String!, $personer: [String!]!) {
      personAccess(enhet: $enhet, personer: $personer) { person }
    }`,
    { enhet, personer: [pid] },
    ctx.requestId,
  );
  return data.personAccess.some((a) => a.person === pid);
}

/**
 * The enhet's administrators: the organisation itself (acting for it, dpv:grant), or a person
 * acting for it (dpv:grant) who holds an administering role now.
 */
async function requireAdministrator(ctx: Context, enhet: string): Promise<void> {
  requireScope(ctx.caller, Scope.DPV_GRANT);
  const { org, pid, actingFor } = ctx.caller;
  if (org === enhet) return;
  if (pid && actingFor === enhet && ctx.services.enhetsregisteret) {
    const data = await ctx.services.enhetsregisteret.request<{
      personroller: Array<{ rolletype: string }>;
    }>(
      `query Personroller($enhet: String!, $personer: [String!]!) {
        personroller(enhet: $enhet, personer: $personer) { rolletype }
      }`,
      { enhet, personer: [pid] },
      ctx.requestId,
    );
    if (data.personroller.some((r) => ADMINISTERING_ROLES.includes(r.rolletype))) return;
  }
  throw new ClientError(ErrorCode.FORBIDDEN, `You do not administer ${preview(enhet)}.`);
}

@Resolver(() => Enhet)
export class PersonContactResolver {
  @Mutation(() => ContactDetails, {
    nullable: true,
    description:
      'Registers your own e-mail address and/or mobile number for notices of the enhet you act ' +
      'for as a person (an ID-porten login, dpv:read), possibly for some services only. You ' +
      'must hold a role or a right in the enhet. Neither address removes your details (null).',
  })
  async setMyContactDetails(
    @Arg('enhet', () => String) enhet: string,
    @Arg('email', () => String, { nullable: true }) email: string | null,
    @Arg('mobile', () => String, { nullable: true }) mobile: string | null,
    @Arg('services', () => [String], {
      nullable: true,
      description: 'Service codes such as 4255/8; none or empty: every service you may read.',
    })
    services: string[] | null,
    @Ctx() ctx: Context,
  ): Promise<ContactDetails | null> {
    assertOrgnr(enhet);
    const pid = personActingFor(ctx, enhet);
    capLength({ argument: 'email' }, email, 254);
    capLength({ argument: 'mobile' }, mobile, 16);
    capItems({ argument: 'services' }, services, SERVICES.length);
    if (email !== null && email !== undefined && !EMAIL.test(email)) {
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'email is not an e-mail address.', {
        argument: 'email',
      });
    }
    if (mobile !== null && mobile !== undefined && !NORWEGIAN_MOBILE.test(mobile)) {
      throw new ClientError(
        ErrorCode.BAD_USER_INPUT,
        'mobile must be a Norwegian mobile number: +47 and eight digits starting 4 or 9.',
        { argument: 'mobile' },
      );
    }
    const codes = [...new Set(services ?? [])];
    const unknown = codes.find((c) => !SERVICES.includes(c));
    if (unknown !== undefined) {
      throw new ClientError(
        ErrorCode.BAD_USER_INPUT,
        `${preview(unknown)} is not a DPV service code.`,
        { argument: 'services' },
      );
    }
    if (!(await mayReadAny(ctx, enhet, pid))) {
      throw new ClientError(
        ErrorCode.FORBIDDEN,
        `You hold no role or right in ${preview(enhet)} to be notified of.`,
      );
    }
    const run = ctx.em.getConnection();
    if (!email && !mobile) {
      await run.execute('delete from person_contact where owner_orgnr = ? and pid = ?', [
        enhet,
        pid,
      ]);
      return null;
    }
    const [row] = await run.execute<Row[]>(
      `insert into person_contact (owner_orgnr, pid, email, mobile, service_codes)
       values (?, ?, ?, ?, ?::text[])
       on conflict (owner_orgnr, pid) do update set email = excluded.email,
         mobile = excluded.mobile, service_codes = excluded.service_codes, updated_at = now()
       returning email, mobile, service_codes, updated_at`,
      [enhet, pid, email || null, mobile || null, `{${codes.map((c) => `"${c}"`).join(',')}}`],
    );
    return toDetails(row!);
  }

  @FieldResolver(() => ContactDetails, {
    nullable: true,
    description:
      'Your own contact details for this enhet, as a person acting for it (dpv:read); null when ' +
      'you registered none; FORBIDDEN for anyone else.',
  })
  async myContactDetails(
    @Root() enhet: Enhet,
    @Ctx() ctx: Context,
  ): Promise<ContactDetails | null> {
    const pid = personActingFor(ctx, enhet.organisasjonsnummer);
    const [row] = await ctx.em
      .getConnection()
      .execute<Row[]>(
        'select email, mobile, service_codes, updated_at from person_contact where owner_orgnr = ? and pid = ?',
        [enhet.organisasjonsnummer, pid],
      );
    return row ? toDetails(row) : null;
  }

  @FieldResolver(() => [ContactDetails], {
    nullable: true,
    description:
      "The contact details the enhet's persons registered, for its administrators: the enhet " +
      'itself (dpv:grant) or a person acting for it in an administering role (DAGL, LEDE, INNH, ' +
      'DTSO, DTPR, KOMP, BEST; dpv:grant). Null with FORBIDDEN for anyone else.',
  })
  async personContactDetails(
    @Root() enhet: Enhet,
    @Ctx() ctx: Context,
  ): Promise<ContactDetails[] | null> {
    await requireAdministrator(ctx, enhet.organisasjonsnummer);
    const rows = await ctx.em.getConnection().execute<Row[]>(
      `select email, mobile, service_codes, updated_at from person_contact
         where owner_orgnr = ? order by updated_at, pid`,
      [enhet.organisasjonsnummer],
    );
    return rows.map(toDetails);
  }
}
