import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { requireActingFor } from '../../../platform/auth/authorize.js';
import { InternalScope, Scope, type Caller } from '../../../platform/auth/caller.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import { preview } from '../../../platform/graphql/preview.js';
import type { Context } from '../context.js';
import { Enhet } from '../entities/Enhet.js';
import { Varslingsadresse, Varslingskanal } from '../entities/Varslingsadresse.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NORWEGIAN_MOBILE = /^\+47[49]\d{7}$/;

/**
 * Addresses an enhet may register per channel. Every address of the channel a notice goes by
 * gets it, so this also bounds one message's fan-out; ten of each is more than any enhet needs.
 */
export const MAX_ADDRESSES = { epost: 10, mobil: 10 } as const;

function assertMayRead(caller: Caller, orgnr: string): void {
  if (caller.scopes.has(InternalScope.READ_VARSLINGSADRESSER)) return;
  requireActingFor(caller, orgnr, Scope.DPV_READ);
}

@Resolver(() => Enhet)
export class VarslingsadresseResolver {
  @FieldResolver(() => [Varslingsadresse], {
    nullable: true,
    description:
      'Varslingsadresser: not public. Readable by the enhet itself (scope dpv:read) and by ' +
      'varsling; null with FORBIDDEN for anyone else (the rest of the enhet still resolves).',
  })
  async varslingsadresser(
    @Root() enhet: Enhet,
    @Ctx() ctx: Context,
  ): Promise<Varslingsadresse[] | null> {
    assertMayRead(ctx.caller, enhet.organisasjonsnummer);
    return ctx.loaders.varslingsadresser.load(enhet.organisasjonsnummer);
  }

  @Mutation(() => Enhet, {
    description:
      "Replaces the enhet's varslingsadresser. Needs scope enhetsregisteret:write, acting for the " +
      `enhet. At least one address must remain; at most ${MAX_ADDRESSES.epost} e-post addresses ` +
      `and ${MAX_ADDRESSES.mobil} mobile numbers.`,
  })
  async settVarslingsadresser(
    @Arg('organisasjonsnummer', () => String) organisasjonsnummer: string,
    @Arg('epost', () => [String], {
      defaultValue: [],
      description: `At most ${MAX_ADDRESSES.epost}, each at most 254 characters.`,
    })
    epost: string[],
    @Arg('mobil', () => [String], {
      defaultValue: [],
      description: `At most ${MAX_ADDRESSES.mobil}: +47 and eight digits, starting with 4 or 9.`,
    })
    mobil: string[],
    @Ctx() ctx: Context,
  ): Promise<Enhet> {
    assertOrgnr(organisasjonsnummer);
    requireActingFor(ctx.caller, organisasjonsnummer, Scope.ENHETSREGISTERET_WRITE);
    // Counted as sent, duplicates too: the cap is on what a client may send, not on what is kept.
    capItems({ field: 'epost' }, epost, MAX_ADDRESSES.epost);
    capItems({ field: 'mobil' }, mobil, MAX_ADDRESSES.mobil);
    const emails = [...new Set(epost.map((e) => e.trim().toLowerCase()))];
    const mobiles = [...new Set(mobil.map((m) => m.replace(/[\s-]/g, '')))];
    for (const e of emails) {
      // Length first: the pattern backtracks on a long string of dots.
      if (e.length > 254 || !EMAIL.test(e)) {
        invalid('epost', `${preview(e)} is not an e-mail address.`);
      }
    }
    for (const m of mobiles) {
      if (!NORWEGIAN_MOBILE.test(m)) {
        invalid(
          'mobil',
          `${preview(m)} is not a Norwegian mobile number (+47 and eight digits, starting with 4 or 9).`,
        );
      }
    }
    if (emails.length + mobiles.length === 0) {
      invalid('epost', 'At least one varslingsadresse (e-post or mobile) must remain.');
    }
    const enhet = await ctx.loaders.enhet.load(organisasjonsnummer);
    if (!enhet || enhet.slettedato) {
      throw new ClientError(ErrorCode.NOT_FOUND, `No enhet ${organisasjonsnummer} is registered.`);
    }
    await ctx.em.transactional(async (tx) => {
      await tx.nativeDelete(Varslingsadresse, { organisasjonsnummer });
      await tx.insertMany(Varslingsadresse, [
        ...emails.map((adresse) => ({ organisasjonsnummer, kanal: Varslingskanal.EPOST, adresse })),
        ...mobiles.map((adresse) => ({
          organisasjonsnummer,
          kanal: Varslingskanal.MOBIL,
          adresse,
        })),
      ]);
    });
    ctx.loaders.varslingsadresser.clear(organisasjonsnummer);
    return enhet;
  }
}

function invalid(field: string, message: string): never {
  throw new ClientError(ErrorCode.BAD_USER_INPUT, message, { field });
}
