import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Directive, Field, ObjectType } from 'type-graphql';

@Entity({ tableName: 'enhet' })
@ObjectType({ description: 'Enhet: a legal entity (hovedenhet) in Enhetsregisteret.' })
@Directive('@key(fields: "organisasjonsnummer")')
export class Enhet {
  @PrimaryKey({ type: 'character(9)' })
  @Field(() => String, { description: 'Organisasjonsnummer: nine digits, mod-11 checked.' })
  organisasjonsnummer!: string;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Navn: the registered name.' })
  navn!: string;

  /** Resolved to `Organisasjonsform` by a batched loader. */
  @Property({ type: 'text' })
  organisasjonsformKode!: string;
}
