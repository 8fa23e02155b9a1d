import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ID, ObjectType } from 'type-graphql';

/**
 * A public body's authorisation of a technical sender to send DPV post on its behalf
 * (`onBehalfOf`, Altinn's OnBehalfOfOrgNr). Rows are never deleted: revoking stamps the row.
 */
@Entity({ tableName: 'sender_authorisation' })
@ObjectType({
  description: 'A body (principal) lets a technical sender send on its behalf (onBehalfOf).',
})
export class SenderAuthorisation {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'character(9)' })
  @Field(() => String, { description: 'The body the messages are from.' })
  principalOrgnr!: string;

  @Property({ type: 'character(9)', fieldName: 'technical_orgnr' })
  @Field(() => String, { description: 'The approved sender that may send for it.' })
  technicalOrgnr!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  grantedAt!: Date;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Who granted it (an admin, or the body itself).' })
  grantedBy!: string;

  @Property({ type: 'character(9)', nullable: true })
  grantedByOrg?: string | null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  revokedBy?: string | null;
}
