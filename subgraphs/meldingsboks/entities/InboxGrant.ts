import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DpvService } from '../domain/services.js';

export enum GrantKind {
  /** All ordinary DPV post (4255/1–10). */
  ALL_DPV = 'ALL_DPV',
  /** The ordinary DPV services listed. */
  SERVICES = 'SERVICES',
  /** Confidential post (5504/1). */
  CONFIDENTIAL = 'CONFIDENTIAL',
}
registerEnumType(GrantKind, {
  name: 'InboxGrantKind',
  description: 'What a grant opens: all ordinary post, some services, or confidential post.',
});

@Entity({ tableName: 'inbox_grant' })
@ObjectType({ description: "Tilgang: an organisation's access to another's inbox." })
export class InboxGrant {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'character(9)' })
  @Field(() => String, { description: 'The enhet whose inbox it opens.' })
  ownerOrgnr!: string;

  @Property({ type: 'character(9)' })
  @Field(() => String, { description: 'The organisation given access.' })
  granteeOrgnr!: string;

  @Property({ type: 'text' })
  @Field(() => GrantKind)
  kind!: GrantKind;

  @Property({ type: 'text[]' })
  serviceCodes!: string[];

  @Field(() => [DpvService], { description: 'The services, for kind SERVICES.' })
  get services(): DpvService[] {
    return this.serviceCodes as DpvService[];
  }

  @Property({ type: 'text', nullable: true })
  @Field(() => String, {
    nullable: true,
    description:
      'REGN or REVI when the grantee held that role for the owner when granted: the grant holds ' +
      'only while the role does.',
  })
  viaRole?: string | null;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  grantedAt!: Date;

  @Property({ type: 'text' })
  @Field(() => String)
  grantedBy!: string;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'Set when the grant was ended.' })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  revokedBy?: string | null;
}
