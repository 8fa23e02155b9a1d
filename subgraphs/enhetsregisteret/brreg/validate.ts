import { orgnrProblem } from '../../domain/orgnr.js';

/** Why a record cannot be imported, or null when it can. */
export type Problem = string | null;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function orgnr(v: unknown, field: string): Problem {
  if (typeof v !== 'string') return `${field} is missing`;
  const p = orgnrProblem(v);
  return p ? `${field} ${JSON.stringify(v)} is not a valid organisasjonsnummer (${p})` : null;
}

function kode(v: unknown, field: string, required: boolean): Problem {
  if (v === undefined || v === null) return required ? `${field} is missing` : null;
  return isObject(v) && typeof v.kode === 'string' && typeof v.beskrivelse === 'string'
    ? null
    : `${field} must be {kode, beskrivelse}`;
}

function typed(
  r: Record<string, unknown>,
  fields: string[],
  check: (v: unknown) => boolean,
  what: string,
): Problem {
  for (const f of fields) {
    const v = r[f];
    if (v !== undefined && v !== null && !check(v)) return `${f} must be ${what}`;
  }
  return null;
}

const DATES = [
  'registreringsdatoEnhetsregisteret',
  'stiftelsesdato',
  'slettedato',
  'oppstartsdato',
  'nedleggelsesdato',
];
const FLAGS = [
  'harRegistrertAntallAnsatte',
  'registrertIMvaregisteret',
  'registrertIForetaksregisteret',
  'registrertIStiftelsesregisteret',
  'registrertIFrivillighetsregisteret',
  'konkurs',
  'underAvvikling',
  'underTvangsavviklingEllerTvangsopplosning',
];

function common(r: Record<string, unknown>): Problem {
  return (
    orgnr(r.organisasjonsnummer, 'organisasjonsnummer') ??
    (typeof r.navn === 'string' && r.navn.length > 0 ? null : 'navn is missing') ??
    kode(r.organisasjonsform, 'organisasjonsform', true) ??
    typed(r, DATES, (v) => typeof v === 'string' && DATE.test(v), 'a date YYYY-MM-DD') ??
    typed(r, FLAGS, (v) => typeof v === 'boolean', 'true or false') ??
    typed(
      r,
      ['antallAnsatte'],
      (v) => Number.isInteger(v) && (v as number) >= 0,
      'a whole number',
    ) ??
    typed(
      r,
      ['forretningsadresse', 'postadresse', 'beliggenhetsadresse'],
      isObject,
      'an address object',
    ) ??
    kode(r.naeringskode1, 'naeringskode1', false) ??
    kode(r.naeringskode2, 'naeringskode2', false) ??
    kode(r.naeringskode3, 'naeringskode3', false) ??
    kode(r.institusjonellSektorkode, 'institusjonellSektorkode', false)
  );
}

export function checkEnhet(r: unknown): Problem {
  if (!isObject(r)) return 'not an object';
  return (
    common(r) ?? (r.overordnetEnhet == null ? null : orgnr(r.overordnetEnhet, 'overordnetEnhet'))
  );
}

export function checkUnderenhet(r: unknown): Problem {
  if (!isObject(r)) return 'not an object';
  return common(r) ?? orgnr(r.overordnetEnhet, 'overordnetEnhet');
}

export function checkRoller(r: unknown): Problem {
  if (!isObject(r)) return 'not an object';
  const p = orgnr(r.organisasjonsnummer, 'organisasjonsnummer');
  if (p) return p;
  if (!Array.isArray(r.rollegrupper)) return 'rollegrupper is missing';
  for (const g of r.rollegrupper as unknown[]) {
    if (!isObject(g) || kode(g.type, 'rollegruppe.type', true) || !Array.isArray(g.roller)) {
      return 'a rollegruppe needs type and roller';
    }
    for (const rolle of g.roller as unknown[]) {
      if (!isObject(rolle) || kode(rolle.type, 'rolle.type', true)) return 'a rolle needs a type';
      if (isObject(rolle.enhet)) {
        const e = orgnr(rolle.enhet.organisasjonsnummer, 'rolle.enhet.organisasjonsnummer');
        if (e) return e;
      } else if (!isObject(rolle.person)) {
        return 'a rolle needs a person or an enhet';
      } else if (
        rolle.person.fodselsnummer !== undefined &&
        (typeof rolle.person.fodselsnummer !== 'string' ||
          !/^[0-9]{11}$/.test(rolle.person.fodselsnummer))
      ) {
        // The value itself is personal data: the problem names the field only.
        return 'rolle.person.fodselsnummer must be eleven digits';
      }
    }
  }
  return null;
}

const ENDRINGSTYPER = new Set(['Ny', 'Endring', 'Sletting', 'Fjernet', 'Ukjent']);

export function checkOppdatering(r: unknown): Problem {
  if (!isObject(r)) return 'not an object';
  if (!Number.isInteger(r.oppdateringsid)) return 'oppdateringsid must be a whole number';
  if (typeof r.endringstype !== 'string' || !ENDRINGSTYPER.has(r.endringstype)) {
    return `endringstype ${JSON.stringify(r.endringstype)} is unknown`;
  }
  const p = orgnr(r.organisasjonsnummer, 'organisasjonsnummer');
  if (p) return p;
  if (r.endringstype === 'Ny' || r.endringstype === 'Endring') {
    const e = checkEnhet(r.enhet);
    if (e) return `enhet: ${e}`;
    if (
      (r.enhet as { organisasjonsnummer: string }).organisasjonsnummer !== r.organisasjonsnummer
    ) {
      return 'enhet.organisasjonsnummer differs from the item';
    }
  }
  return null;
}
