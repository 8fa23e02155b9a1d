import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

/** How a public body joined DPV (DPV-2017): it accepted the DPV terms, or holds a Samarbeidsavtale. */
export enum SenderAgreement {
  DPV_TERMS = 'DPV_TERMS',
  SAMARBEIDSAVTALE = 'SAMARBEIDSAVTALE',
}

registerEnumType(SenderAgreement, {
  name: 'SenderAgreement',
  description: "An approved sender's agreement with DPV.",
  valuesConfig: {
    DPV_TERMS: {
      description: 'Accepted the DPV terms of use (free up to 10 000 messages a year).',
    },
    SAMARBEIDSAVTALE: { description: 'Holds a cooperation agreement (no free-quota limit).' },
  },
});

@Entity({ tableName: 'approved_sender' })
@ObjectType({ description: 'A public body approved to send DPV post.' })
export class ApprovedSender {
  @PrimaryKey({ type: 'character(9)' })
  @Field(() => String)
  organisasjonsnummer!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  name!: string;

  @Property({ type: 'text' })
  @Field(() => SenderAgreement)
  agreement!: SenderAgreement;

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
