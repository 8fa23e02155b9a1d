import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { checkDigit } from '../../domain/orgnr.js';
import type {
  BrregAdresse,
  BrregEnhet,
  BrregPerson,
  BrregRolle,
  BrregRolleEnhet,
  BrregRollegruppe,
  BrregRoller,
  BrregUnderenhet,
  Kode,
} from './types.js';
import { syntheticPid } from './syntheticPid.js';
import * as V from './vocabulary.js';

/**
 * A deterministic generator of synthetic Enhetsregisteret bulk data at any scale. Every record
 * is a pure function of (seed, index), so the three files can be produced independently and
 * in constant memory, and underenheter and roller can point at enheter without keeping them.
 */
export interface GenerateOptions {
  enheter: number;
  underenheter: number;
  /** Default 1. */
  seed?: number;
  /** Share of the AS enheter that are accounting firms (naeringskode 69.201); default 0.005. */
  regnskapsforerShare?: number;
}

// Numbers start with 3, which brreg has not assigned; the project's own demo data lives at
// 3100xxxxx, so the synthetic ranges start above it.
const ENHET_PREFIX = 3_200_000;
const UNDERENHET_PREFIX = 3_500_000;
const MAX_ENHETER = (UNDERENHET_PREFIX - ENHET_PREFIX) * 9;
const MAX_UNDERENHETER = (4_000_000 - UNDERENHET_PREFIX) * 9;

/**
 * The i-th valid number with the 7-digit prefix `start + ⌊i/9⌋`. The ten last-digit variants of
 * a prefix have ten distinct remainders (weight 2 is invertible mod 11), so at most one lacks a
 * check digit and every prefix yields at least nine numbers: no table, no search.
 */
function orgnrAt(start: number, i: number): string {
  const prefix = String(start + Math.floor(i / 9));
  let wanted = i % 9;
  for (let d = 0; d <= 9; d++) {
    const check = checkDigit(prefix + d);
    if (check !== null && wanted-- === 0) return `${prefix}${d}${check}`;
  }
  throw new Error(`no organisasjonsnummer for prefix ${prefix}`);
}

/**
 * The i-th enhet's organisasjonsnummer. Numbers do not depend on the seed (the parameter is
 * there for symmetry), so data sets generated with different seeds share their numbers.
 */
export function enhetOrgnr(i: number, _seed?: number): string {
  return orgnrAt(ENHET_PREFIX, i);
}

export function underenhetOrgnr(j: number): string {
  return orgnrAt(UNDERENHET_PREFIX, j);
}

/** mulberry32, seeded by a murmur-style mix of (seed, index, stream). */
class Rng {
  private s: number;
  constructor(seed: number, index: number, stream: number) {
    let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ index, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ stream, 0x85ebca6b);
    this.s = h ^ (h >>> 13);
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const STREAM = { enhet: 1, owner: 2, underenhet: 3, roller: 4 } as const;

function weighted<T>(items: readonly T[], weight: (t: T) => number): (u: number) => T {
  const total = items.reduce((sum, t) => sum + weight(t), 0);
  let acc = 0;
  const bounds = items.map((t) => (acc += weight(t) / total));
  return (u) => {
    for (let n = 0; n < bounds.length; n++) if (u < bounds[n]!) return items[n]!;
    return items[items.length - 1]!;
  };
}

const pickForm = weighted(V.FORM_WEIGHTS, ([, w]) => w);
const pickKommune = weighted(V.KOMMUNER, (k) => k.weight);
const pickIndustry = weighted(V.INDUSTRIES, (i) => i.weight);
const pickEnkIndustry = weighted(
  V.INDUSTRIES.filter((i) => i.enk !== undefined),
  (i) => i.weight,
);

const DAY = 86_400_000;
const FIRST_DAY = Date.UTC(1995, 1, 19) / DAY; // the day Enhetsregisteret opened
const LAST_DAY = Date.UTC(2025, 11, 31) / DAY;
const isoDate = (day: number): string => new Date(day * DAY).toISOString().slice(0, 10);

type FirmKind = 'regnskap' | 'revisjon';

interface Plan {
  seed: number;
  enheter: number;
  firms: number;
  firmStride: number;
  auditors: number;
  auditorStride: number;
  auditorOffset: number;
}

/** Firms sit at fixed, evenly spread indices, so "is i a firm" and "the k-th firm" are O(1). */
function plan(o: GenerateOptions): Plan {
  const { enheter, underenheter } = o;
  if (!Number.isInteger(enheter) || enheter < 1 || enheter > MAX_ENHETER) {
    throw new RangeError(`enheter must be an integer in 1..${MAX_ENHETER}`);
  }
  if (!Number.isInteger(underenheter) || underenheter < 0 || underenheter > MAX_UNDERENHETER) {
    throw new RangeError(`underenheter must be an integer in 0..${MAX_UNDERENHETER}`);
  }
  const firms = Math.max(1, Math.round(enheter * V.AS_SHARE * (o.regnskapsforerShare ?? 0.005)));
  const firmStride = Math.floor(enheter / firms);
  if (firmStride < 2) throw new RangeError('regnskapsforerShare is too large for so few enheter');
  const auditors = Math.max(1, Math.round(firms / 5));
  // A multiple of firmStride plus half of it never lands on a regnskap firm's index.
  const auditorStride = firmStride * Math.floor(firms / auditors);
  const auditorOffset = Math.floor(firmStride / 2);
  return { seed: o.seed ?? 1, enheter, firms, firmStride, auditors, auditorStride, auditorOffset };
}

function firmKind(i: number, p: Plan): FirmKind | null {
  if (i % p.firmStride === 0 && i / p.firmStride < p.firms) return 'regnskap';
  const j = i - p.auditorOffset;
  if (j >= 0 && j % p.auditorStride === 0 && j / p.auditorStride < p.auditors) return 'revisjon';
  return null;
}

const firmIndex = (k: number, p: Plan): number => k * p.firmStride;
const auditorIndex = (k: number, p: Plan): number => p.auditorOffset + k * p.auditorStride;

/** The organisasjonsnumre of the accounting firms (naeringskode 69.201). */
export function accountingFirms(o: GenerateOptions): string[] {
  const p = plan(o);
  return Array.from({ length: p.firms }, (_, k) => enhetOrgnr(firmIndex(k, p)));
}

/** The organisasjonsnumre of the auditing firms (naeringskode 69.202). */
export function auditorFirms(o: GenerateOptions): string[] {
  const p = plan(o);
  return Array.from({ length: p.auditors }, (_, k) => enhetOrgnr(auditorIndex(k, p)));
}

interface Head {
  firm: FirmKind | null;
  deleted: boolean;
  form: V.FormCode;
  regDay: number;
  rng: Rng;
}

/** The first draws of an enhet's stream: what underenheter and roller need, cheaply. */
function head(i: number, p: Plan): Head {
  const rng = new Rng(p.seed, i, STREAM.enhet);
  const firm = firmKind(i, p);
  const deleted = rng.chance(0.02) && firm === null;
  const formDraw = rng.next();
  const form = firm ? 'AS' : pickForm(formDraw)[0];
  // Skewed towards recent years, as registrations are.
  const regDay = FIRST_DAY + Math.floor((LAST_DAY - FIRST_DAY) * Math.sqrt(rng.next()));
  return { firm, deleted, form, regDay, rng };
}

function person(r: Rng): BrregPerson {
  const fornavn = r.chance(0.2) ? `${r.pick(V.FORNAVN)} ${r.pick(V.FORNAVN)}` : r.pick(V.FORNAVN);
  const mellomnavn = r.chance(0.25) ? r.pick(V.ETTERNAVN) : undefined;
  const etternavn = r.pick(V.ETTERNAVN);
  const born = Date.UTC(1940, 0, 1) / DAY + r.int(65 * 365);
  const navn = mellomnavn ? { fornavn, mellomnavn, etternavn } : { fornavn, etternavn };
  const fodselsdato = isoDate(born);
  const fodselsnummer = syntheticPid(fodselsdato, `${fornavn} ${mellomnavn ?? ''} ${etternavn}`);
  return { fodselsnummer, fodselsdato, navn, erDoed: false };
}

/** An ENK's owner, from a stream of its own so that enhet and roller agree on the person. */
const ownerOf = (i: number, p: Plan): BrregPerson => person(new Rng(p.seed, i, STREAM.owner));

function baseName(r: Rng): string {
  if (r.chance(0.2)) return r.pick(V.ETTERNAVN).toUpperCase();
  const first = r.pick(V.PLACE_WORDS);
  const second = r.pick(V.PLACE_WORDS);
  return r.chance(0.5) && second !== first ? first + second : first;
}

function address(r: Rng, k: V.Kommune, postboks: boolean): BrregAdresse {
  const line = postboks
    ? `Postboks ${1 + r.int(999)}`
    : `${r.pick(V.STREETS)} ${1 + r.int(120)}${r.chance(0.1) ? 'ABC'[r.int(3)] : ''}`;
  return {
    land: 'Norge',
    landkode: 'NO',
    postnummer: k.postnummer,
    poststed: k.poststed,
    adresse: [line],
    kommune: k.kommune,
    kommunenummer: k.kommunenummer,
  };
}

const naering = (code: string): Kode => ({ kode: code, beskrivelse: V.NACE[code] ?? '' });

function nameFor(i: number, h: Head, p: Plan, r: Rng): { navn: string; nace: string } {
  if (h.firm) {
    return {
      navn: `${baseName(r)} ${h.firm === 'regnskap' ? 'REGNSKAP' : 'REVISJON'} AS`,
      nace: h.firm === 'regnskap' ? '69.201' : '69.202',
    };
  }
  const industry = pickIndustry(r.next());
  switch (h.form) {
    case 'ENK': {
      const { fornavn, etternavn } = ownerOf(i, p).navn;
      const word = pickEnkIndustry(r.next());
      return { navn: `${fornavn} ${etternavn} ${word.enk}`.toUpperCase(), nace: word.nace };
    }
    case 'FLI':
      return { navn: `${baseName(r)} ${r.pick(V.FLI_WORDS)}`, nace: '94.990' };
    case 'STI':
      return {
        navn: r.chance(0.5) ? `STIFTELSEN ${baseName(r)}` : `${baseName(r)} STIFTELSE`,
        nace: '94.990',
      };
    case 'NUF':
      return {
        navn: `${r.pick(V.FOREIGN_WORDS)} ${industry.en} ${r.pick(V.FOREIGN_SUFFIXES)}`,
        nace: industry.nace,
      };
    default:
      return { navn: `${baseName(r)} ${industry.word} ${h.form}`, nace: industry.nace };
  }
}

const slug = (navn: string): string =>
  navn
    .toLowerCase()
    .replace(/ (as|asa|sa|ans|da)$/, '')
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'o')
    .replace(/å/g, 'a')
    .replace(/[^a-z0-9]/g, '');

function buildEnhet(i: number, p: Plan, h: Head = head(i, p)): BrregEnhet {
  const r = h.rng;
  const form = h.form;
  const { navn, nace } = nameFor(i, h, p, r);
  const organisasjonsnummer = enhetOrgnr(i);
  const organisasjonsform = V.FORM[form];
  if (h.deleted) {
    const slettet = Math.min(LAST_DAY, h.regDay + 30 + r.int(3650));
    return { organisasjonsnummer, navn, organisasjonsform, slettedato: isoDate(slettet) };
  }
  const business = form !== 'FLI' && form !== 'STI';
  const e: BrregEnhet = { organisasjonsnummer, navn, organisasjonsform };
  if (business && r.chance(form === 'ENK' ? 0.05 : 0.25)) e.hjemmeside = `www.${slug(navn)}.no`;
  const kommune = pickKommune(r.next());
  // Many associations give brreg only a postal address.
  const onlyPost = form === 'FLI' && r.chance(0.5);
  if (onlyPost || r.chance(0.3)) e.postadresse = address(r, kommune, r.chance(0.6));
  e.registreringsdatoEnhetsregisteret = isoDate(h.regDay);
  e.registrertIMvaregisteret = r.chance(V.TRAITS[form].mva);
  e.naeringskode1 = naering(nace);
  if (r.chance(0.1)) {
    e.naeringskode2 = naering(r.pick(V.NACE_CODES));
    if (r.chance(0.2)) e.naeringskode3 = naering(r.pick(V.NACE_CODES));
  }
  const employs = h.firm !== null || r.chance(V.TRAITS[form].employs);
  e.antallAnsatte = employs ? Math.floor(Math.exp(r.next() * (h.firm ? 4 : 5))) : 0;
  e.harRegistrertAntallAnsatte = employs;
  if (!onlyPost) e.forretningsadresse = address(r, kommune, false);
  if (form !== 'ENK' && form !== 'NUF') {
    e.stiftelsesdato = isoDate(h.regDay - r.int(r.chance(0.1) ? 20_000 : 60));
  }
  const sektor = V.TRAITS[form].sektor;
  if (sektor) e.institusjonellSektorkode = sektor;
  e.registrertIForetaksregisteret = form === 'ENK' ? r.chance(0.3) : business;
  e.registrertIStiftelsesregisteret = form === 'STI';
  e.registrertIFrivillighetsregisteret = form === 'FLI' && r.chance(0.4);
  // Firms stay healthy: they hold roles for hundreds of clients.
  e.konkurs = !h.firm && r.chance(0.01);
  e.underAvvikling = !h.firm && r.chance(0.01);
  e.underTvangsavviklingEllerTvangsopplosning = !h.firm && r.chance(0.005);
  e.maalform = r.chance(0.12) ? 'Nynorsk' : 'Bokmål';
  return e;
}

function buildUnderenhet(j: number, p: Plan): BrregUnderenhet {
  const r = new Rng(p.seed, j, STREAM.underenhet);
  const deleted = r.chance(0.02);
  let idx = r.int(p.enheter);
  let h = head(idx, p);
  // Firms are never deleted, so the walk ends.
  while (h.deleted) h = head((idx = (idx + 1) % p.enheter), p);
  const parent = buildEnhet(idx, p, h);
  const organisasjonsnummer = underenhetOrgnr(j);
  const organisasjonsform = h.form === 'FLI' || h.form === 'STI' ? V.FORM.AAFY : V.FORM.BEDR;
  const overordnetEnhet = parent.organisasjonsnummer;
  const kommune = pickKommune(r.next());
  const avdeling = r.chance(0.25);
  const navn = avdeling ? `${parent.navn} AVD ${kommune.poststed}` : parent.navn;
  const regDay = h.regDay + r.int(LAST_DAY - h.regDay + 1);
  if (deleted) {
    const slettedato = isoDate(Math.min(LAST_DAY, regDay + 30 + r.int(2000)));
    return { organisasjonsnummer, navn, organisasjonsform, overordnetEnhet, slettedato };
  }
  const u: BrregUnderenhet = { organisasjonsnummer, navn, organisasjonsform, overordnetEnhet };
  u.beliggenhetsadresse =
    !avdeling && parent.forretningsadresse ? parent.forretningsadresse : address(r, kommune, false);
  if (r.chance(0.15)) u.postadresse = address(r, kommune, true);
  if (parent.naeringskode1) u.naeringskode1 = parent.naeringskode1;
  const employs = r.chance(0.6);
  u.antallAnsatte = employs ? Math.floor(Math.exp(r.next() * 4)) : 0;
  u.harRegistrertAntallAnsatte = employs;
  u.registreringsdatoEnhetsregisteret = isoDate(regDay);
  u.oppstartsdato = isoDate(regDay - r.int(30));
  if (parent.hjemmeside && r.chance(0.5)) u.hjemmeside = parent.hjemmeside;
  return u;
}

interface FirmRef {
  index: number;
  holder: BrregRolleEnhet;
}

function firmRefs(p: Plan, count: number, at: (k: number, p: Plan) => number): FirmRef[] {
  return Array.from({ length: count }, (_, k) => {
    const index = at(k, p);
    const { organisasjonsnummer, navn, organisasjonsform } = buildEnhet(index, p);
    return {
      index,
      holder: { organisasjonsnummer, organisasjonsform, navn: [navn], erSlettet: false },
    };
  });
}

/** Client i goes to firm i mod n (the next one when that is itself): hundreds of clients each. */
function firmFor(i: number, firms: readonly FirmRef[]): FirmRef | undefined {
  const k = i % firms.length;
  const firm = firms[k]!;
  return firm.index !== i ? firm : firms.length > 1 ? firms[(k + 1) % firms.length] : undefined;
}

function buildRoller(i: number, p: Plan, regn: FirmRef[], revi: FirmRef[]): BrregRoller | null {
  const h = head(i, p);
  if (h.deleted) return null;
  const r = new Rng(p.seed, i, STREAM.roller);
  const form = h.form;
  const changed = (): string => isoDate(h.regDay + r.int(LAST_DAY - h.regDay + 1));
  const groups: BrregRollegruppe[] = [];
  const group = (type: Kode, roller: BrregRolle[]): void => {
    groups.push({ type, sistEndret: changed(), roller });
  };
  const personRole = (type: Kode, holder: BrregPerson, rekkefolge: number): BrregRolle => ({
    type,
    person: holder,
    fratraadt: r.chance(0.02),
    rekkefolge,
  });
  if (form === 'ENK') {
    group(V.ROLE.INNH, [
      { type: V.ROLE.INNH, person: ownerOf(i, p), fratraadt: false, rekkefolge: 0 },
    ]);
  }
  const company = form === 'AS' || form === 'ASA' || form === 'SA';
  const leder = person(r);
  if (company || form === 'NUF' || (form !== 'ENK' && form !== 'FLI' && r.chance(0.4))) {
    // In small companies the chair is often also the daglig leder.
    const dagl = company && r.chance(0.4) ? leder : person(r);
    group(V.ROLE.DAGL, [personRole(V.ROLE.DAGL, dagl, 0)]);
  }
  if (company || form === 'FLI' || form === 'STI') {
    const roller = [personRole(V.ROLE.LEDE, leder, 0)];
    const members = form === 'ASA' ? 3 + r.int(4) : form === 'FLI' ? 1 + r.int(4) : r.int(4);
    for (let n = 0; n < members; n++) {
      roller.push(personRole(V.ROLE.MEDL, person(r), roller.length));
    }
    if (r.chance(0.3)) roller.push(personRole(V.ROLE.VARA, person(r), roller.length));
    group(V.ROLE.STYR, roller);
  }
  const auditor = r.chance(V.TRAITS[form].revi) ? firmFor(i, revi) : undefined;
  if (auditor) {
    group(V.ROLE.REVI, [
      { type: V.ROLE.REVI, enhet: auditor.holder, fratraadt: false, rekkefolge: 0 },
    ]);
  }
  const accountant = r.chance(V.TRAITS[form].regn) ? firmFor(i, regn) : undefined;
  if (accountant) {
    const fratraadt = r.chance(0.02);
    group(V.ROLE.REGN, [{ type: V.ROLE.REGN, enhet: accountant.holder, fratraadt, rekkefolge: 0 }]);
  }
  return { organisasjonsnummer: enhetOrgnr(i), rollegrupper: groups };
}

export function* generateEnheter(o: GenerateOptions): Generator<BrregEnhet> {
  const p = plan(o);
  for (let i = 0; i < p.enheter; i++) yield buildEnhet(i, p);
}

export function* generateUnderenheter(o: GenerateOptions): Generator<BrregUnderenhet> {
  const p = plan(o);
  for (let j = 0; j < o.underenheter; j++) yield buildUnderenhet(j, p);
}

/** The roller of every enhet that is not deleted, in enhet order. */
export function* generateRoller(o: GenerateOptions): Generator<BrregRoller> {
  const p = plan(o);
  const regn = firmRefs(p, p.firms, firmIndex);
  const revi = firmRefs(p, p.auditors, auditorIndex);
  for (let i = 0; i < p.enheter; i++) {
    const roller = buildRoller(i, p, regn, revi);
    if (roller) yield roller;
  }
}

const MAX_QUEUED = 8 << 20;

/**
 * Streams `items` as a gzipped JSON array, one element per line as brreg's bulk files have
 * them, respecting backpressure so memory stays flat at any size. Resolves to the count.
 */
export async function writeGzipJsonArray<T>(file: string, items: Iterable<T>): Promise<number> {
  const gzip = createGzip();
  const done = pipeline(gzip, createWriteStream(file));
  // Reported by `await done` below; without this an early failure is an unhandled rejection.
  done.catch(() => undefined);
  let count = 0;
  try {
    let chunk = '[\n';
    for (const item of items) {
      // The file could not be opened or written: stop, and let `await done` say why.
      if (gzip.destroyed) break;
      chunk += (count++ === 0 ? '' : ',\n') + JSON.stringify(item);
      // Batching keeps the per-write overhead small next to zlib's work.
      if (chunk.length >= 1 << 16) {
        gzip.write(chunk);
        chunk = '';
        // zlib compresses on the thread pool but needs this thread to hand it each next
        // piece, so yield after every write and let a few megabytes queue up before waiting
        // for a drain: generating and compressing then overlap instead of taking turns.
        if (gzip.writableLength < MAX_QUEUED) await nextTurn();
        else await Promise.race([once(gzip, 'drain'), done]);
      }
    }
    if (!gzip.destroyed) gzip.end(count === 0 ? `${chunk}]\n` : `${chunk}\n]\n`);
  } catch (error) {
    // A failing item source must not leave the file descriptor open.
    gzip.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
  await done;
  return count;
}
