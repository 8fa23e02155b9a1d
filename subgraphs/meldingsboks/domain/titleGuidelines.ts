import { registerEnumType } from 'type-graphql';
import { DpvService } from './services.js';

/**
 * Guidelines for an inbox title (varslingsstrategi, "Krav til utformingen av overskriften"): it
 * names the enhet and the service, and holds nothing sensitive. A title that breaks one is still
 * sent; the sender gets a warning.
 */
export enum GuidelineWarningCode {
  TITLE_NAMES_NO_ENHET = 'TITLE_NAMES_NO_ENHET',
  TITLE_NAMES_NO_SERVICE = 'TITLE_NAMES_NO_SERVICE',
  TITLE_HOLDS_FODSELSNUMMER = 'TITLE_HOLDS_FODSELSNUMMER',
  TITLE_HOLDS_ACCOUNT_NUMBER = 'TITLE_HOLDS_ACCOUNT_NUMBER',
}

registerEnumType(GuidelineWarningCode, {
  name: 'GuidelineWarningCode',
  description: 'A guideline of the inbox title that a message does not follow.',
  valuesConfig: {
    TITLE_NAMES_NO_ENHET: {
      description: "The title names neither the enhet's name nor its organisasjonsnummer.",
    },
    TITLE_NAMES_NO_SERVICE: { description: 'The title does not say what the message concerns.' },
    TITLE_HOLDS_FODSELSNUMMER: {
      description: 'The title holds what looks like a fødselsnummer or D-nummer.',
    },
    TITLE_HOLDS_ACCOUNT_NUMBER: { description: 'The title holds what looks like a bank account.' },
  },
});

export interface GuidelineWarning {
  code: GuidelineWarningCode;
  message: string;
}

/** Word stems that say a title is about the service (lower case; matched anywhere). */
export const SERVICE_WORDS: Record<DpvService, readonly string[]> = {
  [DpvService.PLAN_BYGG_GEODATA]: ['plan', 'bygg', 'geodata', 'eiendom', 'regulering', 'kart'],
  [DpvService.HELSE_SOSIAL_OMSORG]: ['helse', 'sosial', 'omsorg'],
  [DpvService.OPPVEKST_UTDANNING]: ['oppvekst', 'utdanning', 'skole', 'barnehage', 'lærling'],
  [DpvService.KULTUR_IDRETT_FRITID]: ['kultur', 'idrett', 'fritid'],
  [DpvService.TRAFIKK_REISER_SAMFERDSEL]: ['trafikk', 'reise', 'samferdsel', 'transport', 'vei'],
  [DpvService.NATUR_MILJO]: ['natur', 'miljø', 'avfall', 'utslipp'],
  [DpvService.NAERINGSUTVIKLING]: ['næring', 'bevilling'],
  [DpvService.SKATTER_AVGIFTER]: ['skatt', 'avgift', 'mva', 'merverdi', 'toll'],
  [DpvService.TEKNISKE_TJENESTER]: ['teknisk', 'vann', 'avløp', 'renovasjon', 'feiing'],
  [DpvService.ADMINISTRASJON]: ['administrasjon', 'register'],
  [DpvService.TAUSHETSBELAGT]: ['taushetsbelagt', 'konfidensiell'],
};

/** Legal-form words a title may leave out of the enhet's name ("FJELLTOPP BAKERI" for "… AS"). */
const FORM_SUFFIX = /\s+(AS|ASA|ANS|DA|ENK|SA|KF|IKS|NUF|BA|STI|FLI)$/i;

const FNR_WEIGHTS_1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const ACCOUNT_WEIGHTS = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

/** The mod-11 check digit over `digits` with `weights`, or null when none exists. */
function mod11(digits: readonly number[], weights: readonly number[]): number | null {
  const sum = weights.reduce((s, w, i) => s + w * digits[i]!, 0);
  const r = 11 - (sum % 11);
  return r === 11 ? 0 : r === 10 ? null : r;
}

/**
 * A fødselsnummer (or D-, H- or synthetic test number): a birth date (day + 40 for a D-nummer;
 * month + 40 for an H-nummer, + 80 for a synthetic one) and two mod-11 check digits.
 */
export function looksLikeFodselsnummer(eleven: string): boolean {
  const d = [...eleven].map(Number);
  const day = d[0]! * 10 + d[1]!;
  const month = d[2]! * 10 + d[3]!;
  const dayOk = (day >= 1 && day <= 31) || (day >= 41 && day <= 71);
  const m = month % 40;
  const monthOk = month <= 92 && m >= 1 && m <= 12;
  if (!dayOk || !monthOk) return false;
  return mod11(d, FNR_WEIGHTS_1) === d[9] && mod11(d, ACCOUNT_WEIGHTS) === d[10];
}

/** A Norwegian bank account: 11 digits, the last a mod-11 check digit (weights 5,4,3,2,7,6,5,4,3,2). */
export function looksLikeAccountNumber(eleven: string): boolean {
  const d = [...eleven].map(Number);
  return mod11(d, ACCOUNT_WEIGHTS) === d[10];
}

// Eleven digits, as written: plain, "ddmmyy nnnnn", or an account's "1234.56.78903" / "1234 56 78903".
const FNR_SHAPE = /(?<!\d)(\d{6}) ?(\d{5})(?!\d)/g;
const ACCOUNT_SHAPE = /(?<!\d)(\d{4})([. ]?)(\d{2})\2(\d{5})(?!\d)/g;

/**
 * The guidelines the title breaks, for the enhet it goes to (its name when known). The title is
 * at most 255 characters, so each check is linear in a bounded string.
 */
export function titleWarnings(
  title: string,
  enhet: { organisasjonsnummer: string; navn: string | null },
  service: DpvService,
): GuidelineWarning[] {
  const warnings: GuidelineWarning[] = [];
  const lower = title.toLowerCase();
  const digitsOnly = title.replace(/[\s.]/g, '');
  const navn = enhet.navn?.trim().toLowerCase() ?? '';
  const names =
    digitsOnly.includes(enhet.organisasjonsnummer) ||
    (navn !== '' && (lower.includes(navn) || lower.includes(navn.replace(FORM_SUFFIX, '').trim())));
  if (!names) {
    warnings.push({
      code: GuidelineWarningCode.TITLE_NAMES_NO_ENHET,
      message: `The title should name the enhet (${enhet.navn ?? 'its name'} or ${enhet.organisasjonsnummer}).`,
    });
  }
  if (!SERVICE_WORDS[service].some((w) => lower.includes(w))) {
    warnings.push({
      code: GuidelineWarningCode.TITLE_NAMES_NO_SERVICE,
      message: 'The title should say what the message concerns (the service).',
    });
  }
  if ([...title.matchAll(FNR_SHAPE)].some((m) => looksLikeFodselsnummer(m[1]! + m[2]!))) {
    warnings.push({
      code: GuidelineWarningCode.TITLE_HOLDS_FODSELSNUMMER,
      message: 'The title seems to hold a fødselsnummer; keep personal data in the body.',
    });
  }
  // A fødselsnummer's second check digit is an account's check digit: eleven plain digits that
  // are a valid fødselsnummer count as one, not as an account.
  const account = (m: RegExpMatchArray) => {
    const digits = m[1]! + m[3]! + m[4]!;
    if (m[2] === '' && looksLikeFodselsnummer(digits)) return false;
    return looksLikeAccountNumber(digits);
  };
  if ([...title.matchAll(ACCOUNT_SHAPE)].some(account)) {
    warnings.push({
      code: GuidelineWarningCode.TITLE_HOLDS_ACCOUNT_NUMBER,
      message: 'The title seems to hold a bank account number; keep it in the body.',
    });
  }
  return warnings;
}
