import type { EntityManager } from '@mikro-orm/postgresql';
import { generateEnheter, generateRoller, generateUnderenheter } from './brreg/generate.js';
import {
  DELETE_ROLLER,
  INSERT_ROLLER,
  UPSERT_ENHETER,
  UPSERT_FORMER,
  UPSERT_UNDERENHETER,
} from './brreg/sql.js';
import { Enhet } from './entities/Enhet.js';
import { Organisasjonsform } from './entities/Organisasjonsform.js';
import { Rolle } from './entities/Rolle.js';
import { Varslingsadresse, Varslingskanal } from './entities/Varslingsadresse.js';

/** Organisasjonsformer used by the demo data, with brreg's descriptions. */
const FORMER: Organisasjonsform[] = [
  { kode: 'AS', beskrivelse: 'Aksjeselskap' },
  { kode: 'ENK', beskrivelse: 'Enkeltpersonforetak' },
  { kode: 'FLI', beskrivelse: 'Forening/lag/innretning' },
  { kode: 'KOMM', beskrivelse: 'Kommune' },
  { kode: 'ORGL', beskrivelse: 'Organisasjonsledd' },
  { kode: 'BEDR', beskrivelse: 'Underenhet til næringsdrivende og offentlig forvaltning' },
  { kode: 'AAFY', beskrivelse: 'Underenhet til ikke-næringsdrivende' },
];

const oslo = (adresse: string, postnummer = '0150') => ({
  adresse: [adresse],
  postnummer,
  poststed: 'OSLO',
  kommunenummer: '0301',
  kommune: 'OSLO',
  landkode: 'NO',
  land: 'Norge',
});

/**
 * Senders are real public bodies; recipients are made up (valid check digits, numbers starting
 * with 31, which brreg has not assigned to anyone).
 */
export const DEMO_ENHETER: Array<
  Partial<Enhet> & Pick<Enhet, 'organisasjonsnummer' | 'navn' | 'organisasjonsformKode'>
> = [
  { organisasjonsnummer: '974761076', navn: 'SKATTEETATEN', organisasjonsformKode: 'ORGL' },
  {
    organisasjonsnummer: '974760673',
    navn: 'REGISTERENHETEN I BRØNNØYSUND',
    organisasjonsformKode: 'ORGL',
  },
  { organisasjonsnummer: '958935420', navn: 'OSLO KOMMUNE', organisasjonsformKode: 'KOMM' },
  {
    organisasjonsnummer: '310012343',
    navn: 'FJELLTOPP BAKERI AS',
    organisasjonsformKode: 'AS',
    forretningsadresse: oslo('Markveien 35', '0554'),
    naeringskode1: { kode: '10.710', beskrivelse: 'Produksjon av brød og ferske konditorvarer' },
    antallAnsatte: 12,
    harRegistrertAntallAnsatte: true,
    stiftelsesdato: '2015-03-02',
    registreringsdatoEnhetsregisteret: '2015-03-10',
    registrertIMvaregisteret: true,
    registrertIForetaksregisteret: true,
    konkurs: false,
    underAvvikling: false,
    underTvangsavviklingEllerTvangsopplosning: false,
    maalform: 'Bokmål',
  },
  {
    organisasjonsnummer: '310024686',
    navn: 'NORDLYS REGNSKAP AS',
    organisasjonsformKode: 'AS',
    forretningsadresse: oslo('Storgata 12', '0155'),
    naeringskode1: { kode: '69.201', beskrivelse: 'Regnskap og bokføring' },
    antallAnsatte: 25,
    harRegistrertAntallAnsatte: true,
    stiftelsesdato: '2009-06-15',
    registrertIMvaregisteret: true,
    registrertIForetaksregisteret: true,
  },
  {
    organisasjonsnummer: '310037028',
    navn: 'KARI NORDMANN SNEKKERVERKSTED',
    organisasjonsformKode: 'ENK',
  },
  { organisasjonsnummer: '310049360', navn: 'HAVBRIS SEILFORENING', organisasjonsformKode: 'FLI' },
];

const REGN = {
  rollegruppeKode: 'REGN',
  rollegruppeBeskrivelse: 'Regnskapsfører',
  typeKode: 'REGN',
  typeBeskrivelse: 'Regnskapsfører',
};

/**
 * The demo persons' synthetic identifiers (`syntheticPid` of birth date and name): Ola is the
 * bakery's daglig leder, Per sits on its board, Eva was its daglig leder and has resigned, and
 * Nina holds no role anywhere.
 */
export const DEMO_PERSONS = {
  ola: '17848054364',
  per: '02897538663',
  eva: '24926902969',
  nina: '30869090723',
} as const;

const DAGL = {
  rollegruppeKode: 'DAGL',
  rollegruppeBeskrivelse: 'Daglig leder/ adm.direktør',
  typeKode: 'DAGL',
  typeBeskrivelse: 'Daglig leder/ adm.direktør',
};

/** NORDLYS REGNSKAP AS keeps the accounts of the bakery and the carpenter. */
const DEMO_ROLLER: Array<Omit<Rolle, 'id'>> = [
  {
    organisasjonsnummer: '310012343',
    ...DAGL,
    personFodselsdato: '1980-04-17',
    personFornavn: 'Ola',
    personEtternavn: 'Nordmann',
    personErDoed: false,
    personPid: DEMO_PERSONS.ola,
    fratraadt: false,
    rekkefolge: 0,
  },
  {
    organisasjonsnummer: '310012343',
    ...DAGL,
    personFodselsdato: '1969-12-24',
    personFornavn: 'Eva',
    personEtternavn: 'Berg',
    personErDoed: false,
    personPid: DEMO_PERSONS.eva,
    fratraadt: true,
    rekkefolge: 1,
  },
  {
    organisasjonsnummer: '310012343',
    rollegruppeKode: 'STYR',
    rollegruppeBeskrivelse: 'Styre',
    typeKode: 'MEDL',
    typeBeskrivelse: 'Styremedlem',
    personFodselsdato: '1975-09-02',
    personFornavn: 'Per',
    personEtternavn: 'Hansen',
    personErDoed: false,
    personPid: DEMO_PERSONS.per,
    fratraadt: false,
    rekkefolge: 0,
  },
  ...['310012343', '310037028'].map((organisasjonsnummer) => ({
    organisasjonsnummer,
    ...REGN,
    enhetOrganisasjonsnummer: '310024686',
    enhetNavn: 'NORDLYS REGNSKAP AS',
    enhetOrganisasjonsformKode: 'AS',
    enhetErSlettet: false,
    fratraadt: false,
    rekkefolge: 0,
  })),
];

const DEMO_VARSLINGSADRESSER: Varslingsadresse[] = [
  {
    organisasjonsnummer: '310012343',
    kanal: Varslingskanal.EPOST,
    adresse: 'post@fjelltopp-bakeri.example',
  },
  { organisasjonsnummer: '310012343', kanal: Varslingskanal.MOBIL, adresse: '+4791234567' },
  {
    organisasjonsnummer: '310024686',
    kanal: Varslingskanal.EPOST,
    adresse: 'post@nordlys-regnskap.example',
  },
  { organisasjonsnummer: '310037028', kanal: Varslingskanal.MOBIL, adresse: '+4741234567' },
  {
    organisasjonsnummer: '310049360',
    kanal: Varslingskanal.EPOST,
    adresse: 'styret@havbris.example',
  },
];

/** A generated register beside the hand-written enheter, so that searches have something to find. */
const GENERATED = { enheter: 2000, underenheter: 800 };

async function seedGenerated(em: EntityManager): Promise<void> {
  const connection = em.getConnection();
  // The import's statements take the batch as $1; knex binds with ?.
  const run = (sql: string, rows: unknown[]) =>
    connection.execute(sql.replaceAll('$1', '?'), [JSON.stringify(rows)]);
  const batches = <T>(items: Iterable<T>, size = 500): T[][] => {
    const out: T[][] = [];
    for (const item of items) {
      if (out.length === 0 || out.at(-1)!.length === size) out.push([]);
      out.at(-1)!.push(item);
    }
    return out;
  };
  for (const batch of batches(generateEnheter(GENERATED))) {
    await run(UPSERT_FORMER, [
      ...new Map(batch.map((e) => [e.organisasjonsform.kode, e.organisasjonsform])).values(),
    ]);
    await run(UPSERT_ENHETER, batch);
  }
  for (const batch of batches(generateUnderenheter(GENERATED))) {
    await run(UPSERT_FORMER, [
      ...new Map(batch.map((e) => [e.organisasjonsform.kode, e.organisasjonsform])).values(),
    ]);
    await run(UPSERT_UNDERENHETER, batch);
  }
  for (const batch of batches(generateRoller(GENERATED))) {
    await run(DELETE_ROLLER, batch);
    await run(INSERT_ROLLER, batch);
  }
}

export async function seed(em: EntityManager): Promise<void> {
  await em.transactional((tx) => seedGenerated(tx));
  await em.transactional(async (tx) => {
    await tx.upsertMany(Organisasjonsform, FORMER);
    await tx.upsertMany(Enhet, DEMO_ENHETER as Enhet[]);
    const orgnrs = [...new Set(DEMO_ROLLER.map((r) => r.organisasjonsnummer))];
    await tx.nativeDelete(Rolle, { organisasjonsnummer: { $in: orgnrs } });
    await tx.insertMany(Rolle, DEMO_ROLLER);
    await tx.upsertMany(Varslingsadresse, DEMO_VARSLINGSADRESSER);
  });
}

export async function isEmpty(em: EntityManager): Promise<boolean> {
  return (await em.count(Enhet)) === 0;
}
