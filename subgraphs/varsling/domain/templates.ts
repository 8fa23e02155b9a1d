/**
 * Notice texts with `{name}` placeholders. A notice must say who sends, who receives (name and
 * orgnr), where the message is and what it concerns, and must carry nothing sensitive: the
 * message's own content never goes into an SMS or e-mail (eForvaltningsforskriften §8, the
 * varslingsstrategi). Braces are always placeholder syntax; there is no escape for a literal one.
 */

import { truncate } from '../../../platform/graphql/preview.js';

export const PLACEHOLDERS: readonly string[] = [
  'avsender',
  'mottakerNavn',
  'mottakerOrgnr',
  'tjeneste',
  'lenke',
  'tittel',
];

/** Placeholders a notice must use: who sends, who receives (name and orgnr), where the message is, what it concerns. */
export const REQUIRED_PLACEHOLDERS: readonly string[] = [
  'avsender',
  'mottakerNavn',
  'mottakerOrgnr',
  'lenke',
  'tjeneste',
];

/** Names that would put message content or sensitive fields into an SMS/e-mail; refused. */
export const FORBIDDEN_PLACEHOLDERS: readonly string[] = [
  'innhold',
  'body',
  'content',
  'sammendrag',
  'summary',
  'vedlegg',
  'attachments',
  'propertyList',
  'fodselsnummer',
  'fødselsnummer',
  'personnummer',
  'fnr',
];

export const INBOX_URL = 'https://www.altinn.no/ui/messagebox';

/** Service code/edition → what the post concerns ("Post fra det offentlige innenfor …"). */
export const SERVICE_DESCRIPTIONS: Readonly<Record<string, string>> = {
  '4255/1': 'plan, bygg og geodata',
  '4255/2': 'helse, sosial og omsorg',
  '4255/3': 'oppvekst og utdanning',
  '4255/4': 'kultur, idrett og fritid',
  '4255/5': 'trafikk, reiser og samferdsel',
  '4255/6': 'natur og miljø',
  '4255/7': 'næringsutvikling',
  '4255/8': 'skatter og avgifter',
  '4255/9': 'tekniske tjenester',
  '4255/10': 'administrasjon',
  '5504/1': 'taushetsbelagt post',
};

/** Longest value each placeholder can take, in UTF-16 code units (never fewer than characters). */
export const MAX_LENGTH: Readonly<Record<string, number>> = {
  avsender: 256, // messageSender
  mottakerNavn: 175, // navn in Enhetsregisteret
  mottakerOrgnr: 9,
  tjeneste: Math.max(...Object.values(SERVICE_DESCRIPTIONS).map((d) => d.length)),
  lenke: INBOX_URL.length,
  tittel: 255,
};

/** Sixteen concatenated segments of 134 characters. */
export const SMS_MAX_LENGTH = 16 * 134;

export const REMINDER_PREFIX = 'Påminnelse: ';

export interface Templates {
  emailSubject: string;
  emailBody: string;
  smsText: string;
}

export interface TemplateProblem {
  field: 'emailSubject' | 'emailBody' | 'smsText';
  problem: string;
}

type Part = { text: string } | { placeholder: string };

/** The text split into literal parts and placeholders, or where the braces do not pair up. */
function parse(template: string): Part[] | { unbalanced: string } {
  const parts: Part[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (close !== -1 && (open === -1 || close < open)) {
      return { unbalanced: `"}" at position ${close} closes no "{"` };
    }
    if (open === -1) {
      parts.push({ text: template.slice(i) });
      break;
    }
    const next = template.indexOf('{', open + 1);
    if (close === -1 || (next !== -1 && next < close)) {
      return { unbalanced: `"{" at position ${open} is not closed` };
    }
    if (open > i) parts.push({ text: template.slice(i, open) });
    parts.push({ placeholder: template.slice(open + 1, close) });
    i = close + 1;
  }
  return parts;
}

function placeholdersIn(parts: Part[]): Set<string> {
  return new Set(parts.flatMap((p) => ('placeholder' in p ? [p.placeholder] : [])));
}

const FORBIDDEN_LOWER = new Set(FORBIDDEN_PLACEHOLDERS.map((n) => n.toLowerCase()));

/** Every problem with a set of templates; empty when they can be used. */
export function templateProblems(t: Templates): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  const used = { email: new Set<string>(), sms: new Set<string>() };
  // An empty or unparsable template is reported once, not again as missing every placeholder.
  const unread = { email: false, sms: false };
  for (const field of ['emailSubject', 'emailBody', 'smsText'] as const) {
    const channel = field === 'smsText' ? 'sms' : 'email';
    const add = (problem: string) => problems.push({ field, problem });
    const template = t[field];
    if (template.trim() === '') {
      add('the template is empty');
      unread[channel] = true;
      continue;
    }
    const parts = parse(template);
    if (!Array.isArray(parts)) {
      add(`unbalanced braces: ${parts.unbalanced}`);
      unread[channel] = true;
      continue;
    }
    for (const name of placeholdersIn(parts)) {
      used[channel].add(name);
      if (FORBIDDEN_LOWER.has(name.toLowerCase())) {
        add(
          `placeholder {${truncate(name)}} is forbidden: a notice must not carry message content`,
        );
      } else if (!PLACEHOLDERS.includes(name)) {
        add(`unknown placeholder {${truncate(name)}}; known are ${PLACEHOLDERS.join(', ')}`);
      }
    }
    if (field === 'smsText') {
      const longest = longestSms(parts);
      if (longest > SMS_MAX_LENGTH) {
        add(
          `the SMS can reach ${longest} characters as a reminder with every placeholder at its ` +
            `longest; the limit is ${SMS_MAX_LENGTH}`,
        );
      }
    }
  }
  for (const name of REQUIRED_PLACEHOLDERS) {
    if (!unread.email && !used.email.has(name)) {
      problems.push({
        field: 'emailBody',
        problem: `the e-mail (subject and body together) does not use required placeholder {${name}}`,
      });
    }
    if (!unread.sms && !used.sms.has(name)) {
      problems.push({
        field: 'smsText',
        problem: `the SMS does not use required placeholder {${name}}`,
      });
    }
  }
  return problems;
}

/** The length of the reminder form with every known placeholder filled at its longest. */
function longestSms(parts: Part[]): number {
  let length = REMINDER_PREFIX.length;
  for (const p of parts) {
    if ('text' in p) length += p.text.length;
    else if (PLACEHOLDERS.includes(p.placeholder)) length += MAX_LENGTH[p.placeholder]!;
    else length += p.placeholder.length + 2; // refused anyway; counted as written
  }
  return length;
}

/** Fills every placeholder; throws on unbalanced braces or a placeholder it cannot fill. */
export function render(template: string, values: Readonly<Record<string, string>>): string {
  const parts = parse(template);
  if (!Array.isArray(parts)) throw new RangeError(`Unbalanced braces: ${parts.unbalanced}`);
  return parts
    .map((p) => {
      if ('text' in p) return p.text;
      if (!PLACEHOLDERS.includes(p.placeholder)) {
        throw new RangeError(`Unknown placeholder {${p.placeholder}}`);
      }
      const value = values[p.placeholder];
      if (value === undefined) throw new RangeError(`No value for placeholder {${p.placeholder}}`);
      return value;
    })
    .join('');
}

/** The text as a reminder: prefixed once, never twice. */
export function asReminder(text: string): string {
  return text.startsWith(REMINDER_PREFIX) ? text : REMINDER_PREFIX + text;
}
