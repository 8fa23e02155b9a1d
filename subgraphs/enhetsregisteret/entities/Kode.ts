import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A code with its description, e.g. a næringskode or sektorkode.' })
export class Kode {
  @Field(() => String)
  kode!: string;

  @Field(() => String)
  beskrivelse!: string;
}

@ObjectType({ description: 'An address as Enhetsregisteret holds it.' })
export class Adresse {
  @Field(() => [String], { description: 'Address lines.' })
  adresse?: string[];

  @Field(() => String, { nullable: true })
  postnummer?: string;

  @Field(() => String, { nullable: true })
  poststed?: string;

  @Field(() => String, { nullable: true, description: 'Kommunenummer, four digits.' })
  kommunenummer?: string;

  @Field(() => String, { nullable: true })
  kommune?: string;

  @Field(() => String, { nullable: true, description: 'ISO 3166 country code, e.g. NO.' })
  landkode?: string;

  @Field(() => String, { nullable: true })
  land?: string;
}

/** brreg omits empty address lines; GraphQL gives an empty list instead of null. */
export const adresseResolvers = {
  adresse: (a: Adresse) => a.adresse ?? [],
};
