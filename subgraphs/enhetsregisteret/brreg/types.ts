/**
 * Brønnøysundregistrene's JSON formats (data.brreg.no/enhetsregisteret/api), as the bulk
 * downloads and the API deliver them. Field names are brreg's own.
 */

export interface Kode {
  kode: string;
  beskrivelse: string;
}

export interface BrregAdresse {
  land?: string;
  landkode?: string;
  postnummer?: string;
  poststed?: string;
  adresse?: string[];
  kommune?: string;
  kommunenummer?: string;
}

/** A hovedenhet, as in `enheter_alle.json.gz` and `GET /enheter/{orgnr}`. */
export interface BrregEnhet {
  organisasjonsnummer: string;
  navn: string;
  organisasjonsform: Kode;
  hjemmeside?: string;
  postadresse?: BrregAdresse;
  forretningsadresse?: BrregAdresse;
  registreringsdatoEnhetsregisteret?: string;
  registrertIMvaregisteret?: boolean;
  naeringskode1?: Kode;
  naeringskode2?: Kode;
  naeringskode3?: Kode;
  institusjonellSektorkode?: Kode;
  antallAnsatte?: number;
  harRegistrertAntallAnsatte?: boolean;
  overordnetEnhet?: string;
  registrertIForetaksregisteret?: boolean;
  registrertIStiftelsesregisteret?: boolean;
  registrertIFrivillighetsregisteret?: boolean;
  stiftelsesdato?: string;
  konkurs?: boolean;
  underAvvikling?: boolean;
  underTvangsavviklingEllerTvangsopplosning?: boolean;
  maalform?: string;
  slettedato?: string;
}

/** An underenhet (establishment), as in `underenheter_alle.json.gz`. */
export interface BrregUnderenhet {
  organisasjonsnummer: string;
  navn: string;
  organisasjonsform: Kode;
  overordnetEnhet: string;
  beliggenhetsadresse?: BrregAdresse;
  postadresse?: BrregAdresse;
  naeringskode1?: Kode;
  antallAnsatte?: number;
  harRegistrertAntallAnsatte?: boolean;
  registreringsdatoEnhetsregisteret?: string;
  oppstartsdato?: string;
  nedleggelsesdato?: string;
  hjemmeside?: string;
  slettedato?: string;
}

export interface BrregPerson {
  /**
   * Not in brreg's open files (private register data): the importer carries it when a file has
   * it, and the generator writes a synthetic one.
   */
  fodselsnummer?: string;
  fodselsdato?: string;
  navn: { fornavn?: string; mellomnavn?: string | null; etternavn?: string };
  erDoed?: boolean;
}

export interface BrregRolleEnhet {
  organisasjonsnummer: string;
  organisasjonsform?: Kode;
  /** brreg gives the name as lines. */
  navn?: string[];
  erSlettet?: boolean;
}

export interface BrregRolle {
  type: Kode;
  person?: BrregPerson;
  enhet?: BrregRolleEnhet;
  fratraadt: boolean;
  rekkefolge?: number;
}

export interface BrregRollegruppe {
  type: Kode;
  sistEndret?: string;
  roller: BrregRolle[];
}

/**
 * One element of the roles bulk file: the `GET /enheter/{orgnr}/roller` response with the
 * organisasjonsnummer it belongs to.
 */
export interface BrregRoller {
  organisasjonsnummer: string;
  rollegrupper: BrregRollegruppe[];
}

export type Endringstype = 'Ny' | 'Endring' | 'Sletting' | 'Fjernet' | 'Ukjent';

/**
 * One item of the update feed (`GET /oppdateringer/enheter`). For Ny and Endring this project's
 * feed files also carry the enhet as it is after the change, in `enhet`.
 */
export interface BrregOppdatering {
  oppdateringsid: number;
  dato: string;
  organisasjonsnummer: string;
  endringstype: Endringstype;
  enhet?: BrregEnhet;
}
