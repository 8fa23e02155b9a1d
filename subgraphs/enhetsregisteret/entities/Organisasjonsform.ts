import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ObjectType } from 'type-graphql';

@Entity({ tableName: 'organisasjonsform' })
@ObjectType({ description: 'Organisasjonsform: the legal form of an enhet, e.g. AS or ENK.' })
export class Organisasjonsform {
  @PrimaryKey({ type: 'text' })
  @Field(() => String, { description: 'Kode, e.g. "AS".' })
  kode!: string;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Beskrivelse, e.g. "Aksjeselskap".' })
  beskrivelse!: string;
}
