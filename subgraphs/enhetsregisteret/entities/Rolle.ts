import { Entity, PrimaryKey, Property } from '@mikro-orm/postgresql';

/** One role as stored: brreg's nested rollegrupper → roller flattened to a row. */
@Entity({ tableName: 'rolle' })
export class Rolle {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  /** The enhet that has the role. */
  @Property({ type: 'character(9)' })
  organisasjonsnummer!: string;

  @Property({ type: 'text' }) rollegruppeKode!: string;
  @Property({ type: 'text' }) rollegruppeBeskrivelse!: string;
  @Property({ type: 'date', nullable: true }) rollegruppeSistEndret?: string | null;
  @Property({ type: 'text' }) typeKode!: string;
  @Property({ type: 'text' }) typeBeskrivelse!: string;
  @Property({ type: 'date', nullable: true }) personFodselsdato?: string | null;
  @Property({ type: 'text', nullable: true }) personFornavn?: string | null;
  @Property({ type: 'text', nullable: true }) personMellomnavn?: string | null;
  @Property({ type: 'text', nullable: true }) personEtternavn?: string | null;
  @Property({ type: 'boolean', nullable: true }) personErDoed?: boolean | null;
  /**
   * The person's identifier (private register data; synthetic in generated and test data). Never
   * a field of the graph: only the internal `personroller` look-up matches on it.
   */
  @Property({ type: 'text', nullable: true }) personPid?: string | null;
  /** The holder, when the holder is an enhet (a regnskapsfører, a revisor, a parent company). */
  @Property({ type: 'character(9)', nullable: true }) enhetOrganisasjonsnummer?: string | null;
  @Property({ type: 'text', nullable: true }) enhetNavn?: string | null;
  @Property({ type: 'text', nullable: true }) enhetOrganisasjonsformKode?: string | null;
  @Property({ type: 'boolean', nullable: true }) enhetErSlettet?: boolean | null;
  @Property({ type: 'boolean' }) fratraadt!: boolean;
  @Property({ type: 'integer', nullable: true }) rekkefolge?: number | null;
}
