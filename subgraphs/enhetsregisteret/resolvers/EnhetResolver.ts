import { Arg, Ctx, Directive, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { assertOrgnr } from '../../domain/orgnr.js';
import {
  checkFirst,
  decodeCursor,
  encodeCursor,
  PAGE,
} from '../../../platform/graphql/connection.js';
import { PUBLIC } from '../../../platform/graphql/cacheControl.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import type { Context } from '../context.js';
import { Enhet } from '../entities/Enhet.js';
import { Organisasjonsform } from '../entities/Organisasjonsform.js';
import { EnhetFilter } from '../search/EnhetFilter.js';
import { searchEnheter } from '../search/searchEnheter.js';
import { EnhetConnection, UnderenhetConnection } from './connections.js';
import { groupRoller, MAX_ROLE_TYPES, Rollegruppe } from './rolleTypes.js';

/** The form of a row; the foreign key guarantees it, so its absence is a broken database. */
export async function formOf(ctx: Context, kode: string): Promise<Organisasjonsform> {
  const form = await ctx.loaders.organisasjonsform.load(kode);
  if (!form) throw new Error(`organisasjonsform ${kode} missing`);
  return form;
}

const pageArgs = (first: number, after: string | null | undefined) => {
  checkFirst(first);
  return { first, after: after ? String(decodeCursor(after, 1)[0]) : null };
};

@Resolver(() => Enhet)
export class EnhetResolver {
  @Query(() => Enhet, {
    nullable: true,
    description:
      'The enhet with this organisasjonsnummer (a stub with slettedato if deleted), or null when none is registered.',
  })
  enhet(
    @Arg('organisasjonsnummer', () => String) organisasjonsnummer: string,
    @Ctx() ctx: Context,
  ): Promise<Enhet | null> {
    assertOrgnr(organisasjonsnummer);
    return ctx.loaders.enhet.load(organisasjonsnummer);
  }

  // Root fields that can be refused are nullable too: a bad argument nulls this field, not the
  // whole response (an enhet asked for beside it still arrives).
  @Query(() => EnhetConnection, {
    nullable: true,
    description:
      'Enheter matching the filter, a page at a time, with no cap on how far one pages; null ' +
      'with BAD_USER_INPUT for a bad page or filter.',
  })
  async enheter(
    @Arg('filter', () => EnhetFilter, { nullable: true }) filter: EnhetFilter | null,
    @Arg('first', () => Int, { defaultValue: PAGE.default, description: `At most ${PAGE.max}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<EnhetConnection | null> {
    checkFirst(first);
    return new EnhetConnection(
      await searchEnheter(ctx.em, filter ?? new EnhetFilter(), first, after),
    );
  }

  @Directive(PUBLIC)
  @FieldResolver(() => Organisasjonsform)
  organisasjonsform(@Root() enhet: Enhet, @Ctx() ctx: Context): Promise<Organisasjonsform> {
    return formOf(ctx, enhet.organisasjonsformKode);
  }

  @FieldResolver(() => Enhet, {
    nullable: true,
    description: 'Overordnet enhet: the parent, for an organisasjonsledd in the public sector.',
  })
  overordnetEnhet(@Root() enhet: Enhet, @Ctx() ctx: Context): Promise<Enhet | null> | null {
    return enhet.overordnetEnhetOrgnr ? ctx.loaders.enhet.load(enhet.overordnetEnhetOrgnr) : null;
  }

  // Nullable, like every field that can be refused on its own: a bad page argument nulls this
  // field, not the enhet around it.
  @FieldResolver(() => UnderenhetConnection, {
    nullable: true,
    description: `The enhet's underenheter (not deleted); null with BAD_USER_INPUT for a bad page.`,
  })
  async underenheter(
    @Root() enhet: Enhet,
    @Arg('first', () => Int, { defaultValue: PAGE.default, description: `At most ${PAGE.max}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<UnderenhetConnection | null> {
    const { pages, counts } = ctx.loaders.underenheter;
    const key = { parent: enhet.organisasjonsnummer, ...pageArgs(first, after) };
    const page = await pages.load(key);
    return new UnderenhetConnection({
      nodes: page.rows,
      cursors: page.rows.map((u) => encodeCursor([u.organisasjonsnummer])),
      hasNextPage: page.hasNextPage,
      count: () => counts.load({ parent: enhet.organisasjonsnummer }),
    });
  }

  @FieldResolver(() => [Rollegruppe], { description: 'Roller, grouped as brreg groups them.' })
  async roller(
    @Root() enhet: Enhet,
    @Arg('inkluderFratraadte', () => Boolean, {
      defaultValue: false,
      description: 'Include roles whose holder has resigned (fratrådt).',
    })
    inkluderFratraadte: boolean,
    @Ctx() ctx: Context,
  ): Promise<Rollegruppe[]> {
    return groupRoller(
      await ctx.loaders.roller.load(enhet.organisasjonsnummer),
      inkluderFratraadte,
    );
  }

  @FieldResolver(() => EnhetConnection, {
    nullable: true,
    description:
      "The enheter in which this enhet holds one of the roles (e.g. REGN: an accounting firm's " +
      'clients); null with BAD_USER_INPUT for bad arguments.',
  })
  async rolleinnehaverFor(
    @Root() enhet: Enhet,
    @Arg('type', () => [String], {
      description: `Role codes, e.g. ["REGN", "REVI"]; at most ${MAX_ROLE_TYPES}.`,
    })
    type: string[],
    @Arg('first', () => Int, { defaultValue: PAGE.default, description: `At most ${PAGE.max}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<EnhetConnection | null> {
    capItems({ argument: 'type' }, type, MAX_ROLE_TYPES);
    const { pages, counts } = ctx.loaders.rolleinnehaverFor;
    const variant = [...new Set(type.map((t) => t.toUpperCase()))].sort();
    const page = await pages.load({
      parent: enhet.organisasjonsnummer,
      variant,
      ...pageArgs(first, after),
    });
    return new EnhetConnection({
      nodes: page.rows,
      cursors: page.rows.map((e) => encodeCursor([e.organisasjonsnummer])),
      hasNextPage: page.hasNextPage,
      count: () => counts.load({ parent: enhet.organisasjonsnummer, variant }),
    });
  }
}

export const enhetReference = {
  __resolveReference: (ref: { organisasjonsnummer: string }, ctx: Context) =>
    ctx.loaders.enhet.load(ref.organisasjonsnummer),
};
