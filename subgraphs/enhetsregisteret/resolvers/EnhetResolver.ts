import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { assertOrgnr } from '../../../platform/domain/orgnr.js';
import {
  checkFirst,
  decodeCursor,
  encodeCursor,
  PAGE,
} from '../../../platform/graphql/connection.js';
import type { Context } from '../context.js';
import { Enhet } from '../entities/Enhet.js';
import { Organisasjonsform } from '../entities/Organisasjonsform.js';
import { EnhetFilter } from '../search/EnhetFilter.js';
import { searchEnheter } from '../search/searchEnheter.js';
import { EnhetConnection, UnderenhetConnection } from './connections.js';
import { groupRoller, Rollegruppe } from './rolleTypes.js';

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

  @Query(() => EnhetConnection, {
    description: 'Enheter matching the filter, a page at a time, with no cap on how far one pages.',
  })
  async enheter(
    @Arg('filter', () => EnhetFilter, { nullable: true }) filter: EnhetFilter | null,
    @Arg('first', () => Int, { defaultValue: PAGE.default, description: `At most ${PAGE.max}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<EnhetConnection> {
    checkFirst(first);
    return new EnhetConnection(
      await searchEnheter(ctx.em, filter ?? new EnhetFilter(), first, after),
    );
  }

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

  @FieldResolver(() => UnderenhetConnection, {
    description: "The enhet's underenheter (not deleted).",
  })
  async underenheter(
    @Root() enhet: Enhet,
    @Arg('first', () => Int, { defaultValue: PAGE.default }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<UnderenhetConnection> {
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
    description:
      "The enheter in which this enhet holds one of the roles (e.g. REGN: an accounting firm's clients).",
  })
  async rolleinnehaverFor(
    @Root() enhet: Enhet,
    @Arg('type', () => [String], { description: 'Role codes, e.g. ["REGN", "REVI"].' })
    type: string[],
    @Arg('first', () => Int, { defaultValue: PAGE.default }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<EnhetConnection> {
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
