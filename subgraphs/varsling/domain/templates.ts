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

/** Sixteen concatenated segments of 134 characters, as Altinn counts them (`altinnSmsLength`). */
export const SMS_MAX_LENGTH = 16 * 134;

/** Characters .NET's HttpUtility.UrlEncode leaves as they are; a space becomes '+'. */
const URL_SAFE = /^[A-Za-z0-9\-_.!*() ]$/;
const utf8 = new TextEncoder();

/**
 * An SMS's length as Altinn Notifications counts it (NOTIF: `CalculateNumberOfMessages` measures
 * `HttpUtility.UrlEncode(message).Length` against 160, then 134 per part, at most 16): letters,
 * digits, space and - _ . ! * ( ) weigh 1; every other character weighs 3 per UTF-8 byte, so
 * æ, ø and å weigh 6, a comma or a colon 3, and a character outside the BMP 12.
 */
export function altinnSmsLength(text: string): number {
  let length = 0;
  for (const ch of text) length += URL_SAFE.test(ch) ? 1 : 3 * utf8.encode(ch).length;
  return length;
}

/**
 * The heaviest a placeholder's value can weigh as Altinn counts. Values from a fixed set (the
 * orgnr, the link, the service's description) are measured; free text (names, the title) is
 * counted at its longest length in characters, one each (the rendered SMS is measured again
 * when a notice is planned, `smsOverLength`).
 */
export const MAX_SMS_WEIGHT: Readonly<Record<string, number>> = {
  avsender: MAX_LENGTH.avsender!,
  mottakerNavn: MAX_LENGTH.mottakerNavn!,
  mottakerOrgnr: MAX_LENGTH.mottakerOrgnr!,
  tjeneste: Math.max(...Object.values(SERVICE_DESCRIPTIONS).map(altinnSmsLength)),
  lenke: altinnSmsLength(INBOX_URL),
  tittel: MAX_LENGTH.tittel!,
};

/** Why a rendered SMS is longer than Altinn sends, or null when it fits. */
export function smsOverLength(text: string): string | null {
  const n = altinnSmsLength(text);
  return n > SMS_MAX_LENGTH
    ? `the SMS is ${n} long as Altinn counts it (URL-encoded), over ${SMS_MAX_LENGTH}`
    : null;
}

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

/** Placeholders a confidential post's (5504/1) notice may not use: its title is not to be named. */
export const CONFIDENTIAL_FORBIDDEN: readonly string[] = ['tittel'];

/** Whether any of the templates names a placeholder confidential post's notice may not use. */
export function namesForbiddenForConfidential(t: Templates): boolean {
  return [t.emailSubject, t.emailBody, t.smsText].some((template) => {
    const parts = parse(template);
    return (
      Array.isArray(parts) &&
      [...placeholdersIn(parts)].some((n) => CONFIDENTIAL_FORBIDDEN.includes(n))
    );
  });
}

/**
 * Every problem with a set of templates; empty when they can be used. `confidential`: the
 * templates may be used for confidential post (5504/1), whose notice may not name its title.
 */
export function templateProblems(t: Templates, confidential = false): TemplateProblem[] {
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
      } else if (confidential && CONFIDENTIAL_FORBIDDEN.includes(name)) {
        add(
          `placeholder {${name}} is refused: this policy can apply to confidential post (5504/1), ` +
            'whose notice may not name the title',
        );
      }
    }
    if (field === 'smsText') {
      const longest = longestSms(parts);
      if (longest > SMS_MAX_LENGTH) {
        add(
          `the SMS can reach ${longest} characters as Altinn counts them (URL-encoded: æøå ` +
            `weigh 6) as a reminder with every placeholder at its longest; the limit is ${SMS_MAX_LENGTH}`,
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

/**
 * The length, as Altinn counts it (`altinnSmsLength`), of the reminder form with every known
 * placeholder filled at its heaviest (`MAX_SMS_WEIGHT`).
 */
function longestSms(parts: Part[]): number {
  let length = altinnSmsLength(REMINDER_PREFIX);
  for (const p of parts) {
    if ('text' in p) length += altinnSmsLength(p.text);
    else if (PLACEHOLDERS.includes(p.placeholder)) length += MAX_SMS_WEIGHT[p.placeholder]!;
    else length += altinnSmsLength(`{${p.placeholder}}`); // refused anyway; counted as written
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
