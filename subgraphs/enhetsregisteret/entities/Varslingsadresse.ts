import { Entity, PrimaryKey } from '@mikro-orm/postgresql';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum Varslingskanal {
  EPOST = 'EPOST',
  MOBIL = 'MOBIL',
}

registerEnumType(Varslingskanal, {
  name: 'Varslingskanal',
  description: 'Channel of a varslingsadresse.',
  valuesConfig: {
    EPOST: { description: 'E-post address.' },
    MOBIL: { description: 'Norwegian mobile number, +47 and eight digits.' },
  },
});

/** Not public: registered for the duty to notify (varslingsplikt) and case handling only. */
@Entity({ tableName: 'varslingsadresse' })
@ObjectType({
  description:
    'Varslingsadresse: where the enhet is notified. Readable only by the enhet itself and by varsling.',
})
export class Varslingsadresse {
  @PrimaryKey({ type: 'character(9)' })
  organisasjonsnummer!: string;

  @PrimaryKey({ type: 'text' })
  @Field(() => Varslingskanal)
  kanal!: Varslingskanal;

  @PrimaryKey({ type: 'text' })
  @Field(() => String)
  adresse!: string;
}
