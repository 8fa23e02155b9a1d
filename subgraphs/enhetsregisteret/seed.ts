import type { EntityManager } from '@mikro-orm/postgresql';
import { Enhet } from './entities/Enhet.js';
import { Organisasjonsform } from './entities/Organisasjonsform.js';

/** Organisasjonsformer used by the demo data, with brreg's descriptions. */
const FORMER: Organisasjonsform[] = [
  { kode: 'AS', beskrivelse: 'Aksjeselskap' },
  { kode: 'ENK', beskrivelse: 'Enkeltpersonforetak' },
  { kode: 'FLI', beskrivelse: 'Forening/lag/innretning' },
  { kode: 'KOMM', beskrivelse: 'Kommune' },
  { kode: 'ORGL', beskrivelse: 'Organisasjonsledd' },
];

/**
 * Senders are real public bodies; recipients are made up (valid check digits, numbers starting
 * with 31, which brreg has not assigned to anyone).
 */
export const DEMO_ENHETER: Array<
  Pick<Enhet, 'organisasjonsnummer' | 'navn' | 'organisasjonsformKode'>
> = [
  { organisasjonsnummer: '974761076', navn: 'SKATTEETATEN', organisasjonsformKode: 'ORGL' },
  {
    organisasjonsnummer: '974760673',
    navn: 'REGISTERENHETEN I BRØNNØYSUND',
    organisasjonsformKode: 'ORGL',
  },
  { organisasjonsnummer: '958935420', navn: 'OSLO KOMMUNE', organisasjonsformKode: 'KOMM' },
  { organisasjonsnummer: '310012343', navn: 'FJELLTOPP BAKERI AS', organisasjonsformKode: 'AS' },
  { organisasjonsnummer: '310024686', navn: 'NORDLYS REGNSKAP AS', organisasjonsformKode: 'AS' },
  {
    organisasjonsnummer: '310037028',
    navn: 'KARI NORDMANN SNEKKERVERKSTED',
    organisasjonsformKode: 'ENK',
  },
  { organisasjonsnummer: '310049360', navn: 'HAVBRIS SEILFORENING', organisasjonsformKode: 'FLI' },
];

export async function seed(em: EntityManager): Promise<void> {
  await em.transactional(async (tx) => {
    await tx.upsertMany(Organisasjonsform, FORMER);
    await tx.upsertMany(Enhet, DEMO_ENHETER);
  });
}

export async function isEmpty(em: EntityManager): Promise<boolean> {
  return (await em.count(Enhet)) === 0;
}
