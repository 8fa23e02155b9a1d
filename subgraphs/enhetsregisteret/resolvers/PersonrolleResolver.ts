import { Arg, Ctx, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { InternalScope, PID_PATTERN } from '../../../platform/auth/caller.js';
import { ClientError, ErrorCode } from '../../../platform/graphql/errors.js';
import { capItems } from '../../../platform/graphql/inputLimits.js';
import { assertOrgnr } from '../../domain/orgnr.js';
import type { Context } from '../context.js';
import { Rolle } from '../entities/Rolle.js';

const MAX_PERSONS = 1000;

@ObjectType({ description: 'A role a person holds in an enhet now (internal: the graph only).' })
export class Personrolle {
  @Field(() => String, { description: "The person's identifier, as asked for." })
  person!: string;

  @Field(() => String, { description: 'Rolletype, e.g. DAGL.' })
  rolletype!: string;
}

/**
 * Which roles persons hold in an enhet now, matched on their identifier. Role holders' person
 * identifiers are private register data, so only the graph's own services may ask (an internal
 * scope the gateway strips from outside tokens); no public field carries them.
 */
@Resolver()
export class PersonrolleResolver {
  @Query(() => [Personrolle], {
    nullable: true,
    description:
      'Internal: the current (not resigned) roles of the given persons in an enhet; a deceased ' +
      'holder holds none. FORBIDDEN without the internal scope.',
  })
  async personroller(
    @Arg('enhet', () => String) enhet: string,
    @Arg('personer', () => [String], { description: `At most ${MAX_PERSONS}.` })
    personer: string[],
    @Ctx() ctx: Context,
  ): Promise<Personrolle[] | null> {
    if (!ctx.caller.scopes.has(InternalScope.READ_PERSON_ROLES)) {
      throw new ClientError(ErrorCode.FORBIDDEN, "Only the graph's own services may ask this.");
    }
    assertOrgnr(enhet);
    capItems({ argument: 'personer' }, personer, MAX_PERSONS);
    if (personer.some((p) => !PID_PATTERN.test(p))) {
      // Never the value: it is personal data.
      throw new ClientError(ErrorCode.BAD_USER_INPUT, 'A person identifier is eleven digits.', {
        argument: 'personer',
      });
    }
    if (personer.length === 0) return [];
    const rows = await ctx.em.find(
      Rolle,
      {
        organisasjonsnummer: enhet,
        personPid: { $in: [...new Set(personer)] },
        fratraadt: false,
        $or: [{ personErDoed: null }, { personErDoed: false }],
      },
      { fields: ['personPid', 'typeKode'] },
    );
    const seen = new Set<string>();
    const result: Personrolle[] = [];
    for (const r of rows) {
      const key = `${r.personPid}|${r.typeKode}`;
      if (seen.has(key)) continue;
      seen.add(key);
      result.push({ person: r.personPid!, rolletype: r.typeKode });
    }
    return result;
  }
}
