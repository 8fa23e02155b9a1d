import { BigIntType, Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';
import { Field, Float, ID, ObjectType } from 'type-graphql';

@Entity({ tableName: 'attachment' })
@ObjectType({ description: 'Vedlegg: an attachment, its metadata and (when stored) its content.' })
export class Attachment {
  @PrimaryKey({ type: 'uuid', defaultRaw: 'gen_random_uuid()' })
  @Field(() => ID)
  id!: string;

  @Property({ type: 'uuid' })
  messageId!: string;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'text' })
  @Field(() => String)
  name!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  contentType!: string;

  @Property({ type: new BigIntType('number') })
  size!: number;

  @Field(() => Float, { description: 'Size in bytes (beyond 32-bit Int).' })
  get sizeBytes(): number {
    return this.size;
  }

  @Property({ type: 'character(64)' })
  @Field(() => String, { description: 'SHA-256 of the content, hex.' })
  sha256!: string;

  /** Loaded only when asked for (see AttachmentResolver.content). */
  @Property({ type: 'blob', nullable: true, lazy: true })
  content?: Buffer | null;
}
