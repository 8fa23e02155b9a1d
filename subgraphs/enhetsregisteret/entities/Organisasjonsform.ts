import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Directive, Field, ObjectType } from 'type-graphql';
import { PUBLIC } from '../../../platform/graphql/cacheControl.js';

@Entity({ tableName: 'organisasjonsform' })
@ObjectType({ description: 'Organisasjonsform: the legal form of an enhet, e.g. AS or ENK.' })
@Directive(PUBLIC)
export class Organisasjonsform {
  @PrimaryKey({ type: 'text' })
  @Directive(PUBLIC)
  @Field(() => String, { description: 'Kode, e.g. "AS".' })
  kode!: string;

  @Property({ type: 'text' })
  @Directive(PUBLIC)
  @Field(() => String, { description: 'Beskrivelse, e.g. "Aksjeselskap".' })
  beskrivelse!: string;
}
