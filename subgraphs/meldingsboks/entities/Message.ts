import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@Entity({ tableName: 'message' })
@ObjectType({
  description: 'Melding (Altinn correspondence): a message from a public body to an enhet.',
})
@Directive('@key(fields: "id")')
export class Message {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'text' })
  @Field(() => String, {
    description: 'Tittel: names the enhet and the service; nothing sensitive.',
  })
  title!: string;

  /** Mottaker: organisasjonsnummer of the recipient enhet. */
  @Property({ type: 'character(9)' })
  recipientOrgnr!: string;

  /** Avsender: organisasjonsnummer of the sending public body. */
  @Property({ type: 'character(9)' })
  senderOrgnr!: string;

  @Property({ type: 'text' })
  @Field(() => String, {
    description:
      'DPV service code and edition (tjenestekode/utgave), e.g. "4255/8" for skatter og avgifter.',
  })
  serviceCode!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  @Field(() => Date)
  createdAt!: Date;
}
