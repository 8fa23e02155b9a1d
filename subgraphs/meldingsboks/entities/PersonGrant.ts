import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ID, ObjectType } from 'type-graphql';
import { DpvService } from '../domain/services.js';
import { GrantKind } from './InboxGrant.js';

@Entity({ tableName: 'person_grant' })
@ObjectType({
  description:
    "A right the enhet delegated to a person (Altinn's Post/arkiv). The person's identifier is " +
    'personal data and is not a field.',
})
export class PersonGrant {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'character(9)' })
  @Field(() => String, { description: 'The enhet whose post it opens.' })
  ownerOrgnr!: string;

  @Property({ type: 'text' })
  granteePid!: string;

  @Property({ type: 'text' })
  @Field(() => GrantKind)
  kind!: GrantKind;

  @Property({ type: 'text[]' })
  serviceCodes!: string[];

  @Field(() => [DpvService], { description: 'The services, for kind SERVICES.' })
  get services(): DpvService[] {
    return this.serviceCodes as DpvService[];
  }

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  grantedAt!: Date;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Who delegated it (token subject or organisation).' })
  grantedBy!: string;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true, description: 'Set when the right was withdrawn.' })
  revokedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  revokedBy?: string | null;
}
