import {
  Arg,
  Ctx,
  Directive,
  Field,
  FieldResolver,
  Int,
  ObjectType,
  Resolver,
  Root,
} from 'type-graphql';
import { Scope } from '../../../platform/auth/caller.js';
import { requireActingFor } from '../../../platform/auth/authorize.js';
import {
  checkFirst,
  connectionType,
  decodeCursor,
  encodeCursor,
  PAGE,
  type LazyPage,
} from '../../../platform/graphql/connection.js';
import { validGrants, viewFrom } from '../access.js';
import type { Context } from '../context.js';
import { InboxGrant } from '../entities/InboxGrant.js';
import { Message } from '../entities/Message.js';
import { inboxVariant } from '../loaders/inbox.js';
import { checkInboxFilterCaps, InboxFilter } from './InboxFilter.js';

/** Enhetsregisteret owns the enhet; this subgraph adds its inbox. */
@ObjectType()
@Directive('@key(fields: "organisasjonsnummer")')
export class Enhet {
  @Field(() => String)
  organisasjonsnummer!: string;
}

const InboxConnectionBase = connectionType('Inbox', Message, { abstract: true });

@ObjectType('InboxConnection', {
  description: 'A page of an inbox, newest first, with the counts of the whole (filtered) inbox.',
})
export class InboxConnection extends InboxConnectionBase {
  constructor(
    page: LazyPage<Message>,
    private readonly unread: () => Promise<number>,
  ) {
    super(page);
  }

  @Field(() => Int, { description: 'How many of the matching messages are unread.' })
  unreadCount(): Promise<number> {
    return this.unread();
  }
}

@ObjectType({ description: 'An enhet that gave this organisation access to its inbox.' })
export class InboxClient {
  @Field(() => Enhet)
  readonly enhet: Enhet;

  @Field(() => [InboxGrant], { description: 'Its grants to this organisation that hold now.' })
  readonly grants: InboxGrant[];

  constructor(
    enhet: Enhet,
    grants: InboxGrant[],
    private readonly unread: () => Promise<number>,
  ) {
    this.enhet = enhet;
    this.grants = grants;
  }

  @Field(() => Int, { description: 'Unread messages the grants let this organisation see.' })
  unreadCount(): Promise<number> {
    return this.unread();
  }
}

/**
 * The enhet is public, its inbox is not: each field here is nullable, so that FORBIDDEN (or a
 * refused argument) nulls the field alone and the register's public data still arrives.
 */
@Resolver(() => Enhet)
export class EnhetInboxResolver {
  @FieldResolver(() => InboxConnection, {
    nullable: true,
    description:
      "Meldingsboks: the enhet's messages, newest published first. The enhet itself reads its " +
      'ordinary post with dpv:read; confidential post, and other organisations, only by grant. ' +
      'Null with FORBIDDEN for a caller who may not read it (BAD_USER_INPUT for bad arguments).',
  })
  async inbox(
    @Root() enhet: Enhet,
    @Arg('filter', () => InboxFilter, { nullable: true }) filter: InboxFilter | null,
    @Arg('first', () => Int, { defaultValue: PAGE.default, description: `At most ${PAGE.max}.` })
    first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() ctx: Context,
  ): Promise<InboxConnection | null> {
    checkFirst(first);
    if (filter) checkInboxFilterCaps(filter);
    const parent = enhet.organisasjonsnummer;
    const view = await ctx.access.requireView(parent);
    const variant = inboxVariant({ view, filter: filter ? { ...filter } : null });
    const afterSeq = after ? decodeCursor(after, 1)[0]! : null;
    const { pages, totalCounts, unreadCounts } = ctx.loaders.inbox;
    return new InboxConnection(
      {
        load: async () => {
          const page = await pages.load({ parent, first, after: afterSeq, variant });
          return {
            nodes: page.rows,
            cursors: page.rows.map((m) => encodeCursor([m.publishSeq!])),
            hasNextPage: page.hasNextPage,
          };
        },
        count: () => totalCounts.load({ parent, variant }),
      },
      () => unreadCounts.load({ parent, variant }),
    );
  }

  @FieldResolver(() => [InboxGrant], {
    nullable: true,
    description:
      'Who may read this inbox besides the enhet: its grants in force (acting for the enhet, ' +
      'dpv:read or dpv:grant); null with FORBIDDEN for anyone else.',
  })
  inboxGrants(@Root() enhet: Enhet, @Ctx() ctx: Context): Promise<InboxGrant[] | null> {
    requireActingFor(ctx.caller, enhet.organisasjonsnummer, [Scope.DPV_GRANT, Scope.DPV_READ]);
    return ctx.em.find(
      InboxGrant,
      { ownerOrgnr: enhet.organisasjonsnummer, revokedAt: null },
      { orderBy: { grantedAt: 'asc', id: 'asc' } },
    );
  }

  @FieldResolver(() => [InboxClient], {
    nullable: true,
    description:
      "A firm's clients: the enheter whose grants to this organisation hold now, with unread " +
      'counts (acting for the organisation, dpv:read); null with FORBIDDEN for anyone else.',
  })
  async clients(@Root() enhet: Enhet, @Ctx() ctx: Context): Promise<InboxClient[] | null> {
    const firm = enhet.organisasjonsnummer;
    requireActingFor(ctx.caller, firm, [Scope.DPV_READ]);
    const grants = (await validGrants(ctx.em, ctx.services.roles, firm, 'all')).filter(
      (g) => g.ownerOrgnr !== firm,
    );
    const byOwner = new Map<string, InboxGrant[]>();
    for (const g of grants) byOwner.set(g.ownerOrgnr, [...(byOwner.get(g.ownerOrgnr) ?? []), g]);
    return [...byOwner]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([owner, mine]) => {
        const variant = inboxVariant({ view: viewFrom(false, mine)!, filter: null });
        return new InboxClient({ organisasjonsnummer: owner }, mine, () =>
          ctx.loaders.inbox.unreadCounts.load({ parent: owner, variant }),
        );
      });
  }
}

export const enhetReference = {
  __resolveReference: (ref: { organisasjonsnummer: string }): Enhet => ({
    organisasjonsnummer: ref.organisasjonsnummer,
  }),
};
