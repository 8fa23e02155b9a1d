import { describe, expect, it } from 'vitest';
import {
  FORBIDDEN_PLACEHOLDERS,
  INBOX_URL,
  MAX_LENGTH,
  PLACEHOLDERS,
  REMINDER_PREFIX,
  REQUIRED_PLACEHOLDERS,
  SERVICE_DESCRIPTIONS,
  SMS_MAX_LENGTH,
  altinnSmsLength,
  MAX_SMS_WEIGHT,
  smsOverLength,
  asReminder,
  render,
  templateProblems,
  type Templates,
} from '../../subgraphs/varsling/domain/templates.js';

const DEFAULTS: Templates = {
  emailSubject: 'Ny melding fra {avsender} til {mottakerNavn} ({mottakerOrgnr})',
  emailBody:
    '{mottakerNavn} ({mottakerOrgnr}) har fått en melding fra {avsender} om {tjeneste}. ' +
    'Les den i innboksen i Altinn: {lenke}',
  smsText:
    '{mottakerNavn} ({mottakerOrgnr}) har fått melding fra {avsender} om {tjeneste}. Se {lenke}',
};

const problems = (patch: Partial<Templates>) => templateProblems({ ...DEFAULTS, ...patch });

describe('the vocabulary', () => {
  it('has the placeholders, the required ones among them, and refuses content', () => {
    expect(PLACEHOLDERS).toEqual([
      'avsender',
      'mottakerNavn',
      'mottakerOrgnr',
      'tjeneste',
      'lenke',
      'tittel',
    ]);
    for (const name of REQUIRED_PLACEHOLDERS) expect(PLACEHOLDERS).toContain(name);
    for (const name of ['innhold', 'body', 'sammendrag', 'summary', 'vedlegg', 'attachments']) {
      expect(FORBIDDEN_PLACEHOLDERS).toContain(name);
    }
    expect(FORBIDDEN_PLACEHOLDERS).toContain('propertyList');
    expect(FORBIDDEN_PLACEHOLDERS).toContain('fodselsnummer');
    for (const name of FORBIDDEN_PLACEHOLDERS) expect(PLACEHOLDERS).not.toContain(name);
  });

  it('knows every DPV service and the longest description', () => {
    expect(Object.keys(SERVICE_DESCRIPTIONS)).toHaveLength(11);
    for (let edition = 1; edition <= 10; edition++) {
      expect(SERVICE_DESCRIPTIONS[`4255/${edition}`]).toBeTruthy();
    }
    expect(SERVICE_DESCRIPTIONS['4255/8']).toBe('skatter og avgifter');
    expect(SERVICE_DESCRIPTIONS['5504/1']).toBe('taushetsbelagt post');
    expect(MAX_LENGTH.tjeneste).toBe('trafikk, reiser og samferdsel'.length);
    expect(MAX_LENGTH).toMatchObject({ avsender: 256, mottakerNavn: 175, mottakerOrgnr: 9 });
    expect(MAX_LENGTH.lenke).toBe(INBOX_URL.length);
    expect(MAX_LENGTH.tittel).toBe(255);
    expect(SMS_MAX_LENGTH).toBe(2144);
  });
});

describe('templateProblems', () => {
  it('accepts the default templates', () => {
    expect(templateProblems(DEFAULTS)).toEqual([]);
  });

  it('accepts required placeholders spread over the e-mail subject and body', () => {
    expect(
      problems({
        emailSubject: '{avsender} til {mottakerNavn}',
        emailBody: '{mottakerOrgnr} {tjeneste} {lenke}',
      }),
    ).toEqual([]);
  });

  it('names an unknown placeholder once per template', () => {
    expect(problems({ emailSubject: `${DEFAULTS.emailSubject} {saksnr} {saksnr}` })).toEqual([
      { field: 'emailSubject', problem: expect.stringMatching(/^unknown placeholder \{saksnr\}/) },
    ]);
  });

  it('refuses forbidden placeholders, whatever their case', () => {
    expect(
      problems({
        smsText: `${DEFAULTS.smsText} {innhold}`,
        emailBody: `${DEFAULTS.emailBody} {Body}`,
      }),
    ).toEqual([
      { field: 'emailBody', problem: expect.stringMatching(/^placeholder \{Body\} is forbidden/) },
      { field: 'smsText', problem: expect.stringMatching(/^placeholder \{innhold\} is forbidden/) },
    ]);
  });

  it('names each required placeholder missing from the e-mail and from the SMS', () => {
    expect(problems({ emailSubject: 'Ny melding', emailBody: 'Les den: {lenke}' })).toEqual(
      ['avsender', 'mottakerNavn', 'mottakerOrgnr', 'tjeneste'].map((name) => ({
        field: 'emailBody',
        problem: `the e-mail (subject and body together) does not use required placeholder {${name}}`,
      })),
    );
    expect(
      problems({
        smsText: '{mottakerNavn} ({mottakerOrgnr}): ny melding fra {avsender}. Se {lenke}',
      }),
    ).toEqual([
      { field: 'smsText', problem: 'the SMS does not use required placeholder {tjeneste}' },
    ]);
  });

  it('names an empty template without repeating it as missing placeholders', () => {
    expect(problems({ emailSubject: '  ' })).toEqual([
      { field: 'emailSubject', problem: 'the template is empty' },
    ]);
    expect(problems({ smsText: '' })).toEqual([
      { field: 'smsText', problem: 'the template is empty' },
    ]);
  });

  it('names unbalanced braces', () => {
    for (const smsText of [
      `${DEFAULTS.smsText} {avsender`,
      `${DEFAULTS.smsText} avsender}`,
      `{a{b}} ${DEFAULTS.smsText}`,
    ]) {
      expect(problems({ smsText }), smsText).toEqual([
        { field: 'smsText', problem: expect.stringMatching(/^unbalanced braces: /) },
      ]);
    }
  });

  it('bounds the SMS exactly at the limit as Altinn counts it, as a reminder with every placeholder at its heaviest', () => {
    const worst =
      altinnSmsLength(REMINDER_PREFIX) +
      REQUIRED_PLACEHOLDERS.reduce((n, p) => n + MAX_SMS_WEIGHT[p]!, 0);
    const atLimit =
      REQUIRED_PLACEHOLDERS.map((p) => `{${p}}`).join('') + 'x'.repeat(SMS_MAX_LENGTH - worst);
    expect(problems({ smsText: atLimit })).toEqual([]);
    expect(problems({ smsText: `${atLimit}x` })).toEqual([
      {
        field: 'smsText',
        problem: `the SMS can reach ${SMS_MAX_LENGTH + 1} characters as Altinn counts them (URL-encoded: æøå weigh 6) as a reminder with every placeholder at its longest; the limit is ${SMS_MAX_LENGTH}`,
      },
    ]);
    // One æ instead of an x weighs 5 more.
    expect(problems({ smsText: `${atLimit.slice(0, -1)}æ` })).toHaveLength(1);
    expect(problems({ smsText: atLimit.slice(0, -6) + 'æ' })).toEqual([]);
    // The optional title counts too.
    expect(
      problems({ smsText: `{tittel}${atLimit}`.slice(0, -MAX_SMS_WEIGHT.tittel! + 1) }),
    ).toHaveLength(1);
  });

  it('counts as Altinn does: the URL-encoded length (.NET HttpUtility.UrlEncode)', () => {
    expect(altinnSmsLength('Se innboksen')).toBe(12); // a space is '+'
    expect(altinnSmsLength('-_.!*()')).toBe(7);
    expect(altinnSmsLength('æøåÆØÅ')).toBe(36); // two UTF-8 bytes each, %XX per byte
    expect(altinnSmsLength(',:/')).toBe(9);
    expect(altinnSmsLength('€')).toBe(9);
    expect(altinnSmsLength('😀')).toBe(12);
    expect(altinnSmsLength(INBOX_URL)).toBe(MAX_SMS_WEIGHT.lenke);
    expect(smsOverLength('a'.repeat(SMS_MAX_LENGTH))).toBeNull();
    expect(smsOverLength('æ'.repeat(400))).toMatch(/2400 long as Altinn counts it/);
  });
});

describe('render', () => {
  const values = {
    avsender: 'Skatteetaten',
    mottakerNavn: 'Eksempel AS',
    mottakerOrgnr: '974761076',
    tjeneste: SERVICE_DESCRIPTIONS['4255/8']!,
    lenke: INBOX_URL,
  };

  it('fills every placeholder, each occurrence, without reading values as templates', () => {
    expect(render(DEFAULTS.smsText, values)).toBe(
      'Eksempel AS (974761076) har fått melding fra Skatteetaten om skatter og avgifter. ' +
        'Se https://www.altinn.no/ui/messagebox',
    );
    expect(render('{avsender}/{avsender}', { avsender: '{lenke}' })).toBe('{lenke}/{lenke}');
  });

  it('throws on an unknown placeholder, a missing value or unbalanced braces', () => {
    expect(() => render('{innhold}', { innhold: 'x' })).toThrow(/Unknown placeholder \{innhold\}/);
    expect(() => render('{tittel}', values)).toThrow(/No value for placeholder \{tittel\}/);
    expect(() => render('{avsender', values)).toThrow(/Unbalanced braces/);
  });
});

describe('asReminder', () => {
  it('prefixes once', () => {
    expect(asReminder('Ny melding')).toBe('Påminnelse: Ny melding');
    expect(asReminder(asReminder('Ny melding'))).toBe('Påminnelse: Ny melding');
  });
});
