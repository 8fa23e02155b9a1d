import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, ObjectType } from 'type-graphql';
import { MessageStatus } from '../domain/lifecycle.js';

/** One row of a message's append-only status history (the table refuses updates and deletes). */
@Entity({ tableName: 'message_status' })
@ObjectType({ description: 'A status the message reached, who brought it there and when.' })
export class StatusChange {
  @PrimaryKey({ type: new BigIntType('string') })
  id!: string;

  @Property({ type: 'uuid' })
  messageId!: string;

  @Property({ type: 'text' })
  @Field(() => MessageStatus)
  status!: MessageStatus;

  @Property({ type: 'character(9)', nullable: true })
  @Field(() => String, {
    nullable: true,
    description: 'Organisasjonsnummer the actor acted for (none for the graph itself).',
  })
  actorOrg?: string | null;

  @Property({ type: 'text' })
  @Field(() => String, {
    description: 'Who: the token subject, or `service:meldingsboks` for the publisher.',
  })
  actor!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => Date)
  at!: Date;
}
