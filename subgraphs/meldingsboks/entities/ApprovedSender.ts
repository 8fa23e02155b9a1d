import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ObjectType } from 'type-graphql';

@Entity({ tableName: 'approved_sender' })
@ObjectType({ description: 'A public body approved to send DPV post.' })
export class ApprovedSender {
  @PrimaryKey({ type: 'character(9)' })
  @Field(() => String)
  organisasjonsnummer!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  name!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  approvedAt!: Date;

  @Property({ type: 'text' })
  @Field(() => String)
  approvedBy!: string;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'Set when the approval was withdrawn.' })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  revokedBy?: string | null;
}
