import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { assertOrgnr } from '../../subgraphs/domain/orgnr.js';
import { preview, truncate } from '../../platform/graphql/preview.js';
import { validatePolicy } from '../../subgraphs/varsling/domain/policyInput.js';
import { templateProblems } from '../../subgraphs/varsling/domain/templates.js';

const HUGE = 900_000;

/** The error `fn` throws, for its code and message. */
function thrown(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (err) {
    return err as GraphQLError;
  }
  throw new Error('expected an error');
}

describe('preview', () => {
  it('quotes a short value whole', () => {
    expect(preview('310012343')).toBe('"310012343"');
    expect(preview('')).toBe('""');
  });

  it('cuts a long value to its first 32 characters and an ellipsis', () => {
    expect(preview('a'.repeat(HUGE))).toBe(`"${'a'.repeat(32)}…"`);
    expect(preview('a'.repeat(33))).toBe(`"${'a'.repeat(32)}…"`);
    expect(preview('a'.repeat(32))).toBe(`"${'a'.repeat(32)}"`);
    expect(preview('abcdef', 3)).toBe('"abc…"');
  });

  it('escapes quotes and control characters, so the value cannot bend the message', () => {
    expect(preview('a"b\nc')).toBe('"a\\"b\\nc"');
  });

  it('never splits a surrogate pair', () => {
    const emoji = '😀'; // two UTF-16 code units
    expect(truncate(`${'a'.repeat(31)}${emoji}tail`)).toBe(`${'a'.repeat(31)}…`);
    expect(truncate(`${'a'.repeat(30)}${emoji}tail`)).toBe(`${'a'.repeat(30)}${emoji}…`);
  });
});

describe('messages that quote client input stay short', () => {
  it.each([
    ['length', '9'.repeat(HUGE)],
    ['non-digits', 'x'.repeat(9)],
  ])('INVALID_ORGNR (%s)', (reason, value) => {
    const err = thrown(() => assertOrgnr(value));
    expect(err.extensions).toMatchObject({ code: 'INVALID_ORGNR', reason });
    expect(err.message.length).toBeLessThan(200);
  });

  it('INVALID_ORGNR for a 900 KB number names its length and its start', () => {
    const err = thrown(() => assertOrgnr('1'.repeat(HUGE)));
    expect(err.message).toBe(
      `Organisasjonsnummer must be 9 digits; "${'1'.repeat(32)}…" has ${HUGE} characters.`,
    );
  });

  it.each([
    ['senderOrgnr', { senderOrgnr: 'x'.repeat(HUGE) }],
    ['serviceCode', { serviceCode: '4'.repeat(HUGE) }],
    [
      'window',
      { window: { days: [1], start: '0'.repeat(HUGE), end: '16:00', skipHolidays: true } },
    ],
    [
      'window',
      { window: { days: [1], start: '08:00', end: '1'.repeat(HUGE), skipHolidays: true } },
    ],
  ])('INVALID_POLICY for a huge %s', (field, overrides) => {
    const err = thrown(() =>
      validatePolicy({ name: 'P', kind: 'VARSEL', channel: 'EMAIL', ...overrides } as never),
    );
    expect(err.extensions).toMatchObject({ code: 'INVALID_POLICY', field });
    expect(err.message.length).toBeLessThan(200);
  });

  it('a template problem names a long placeholder by its start only', () => {
    const [problem] = templateProblems({
      emailSubject: `{${'y'.repeat(5_000)}}`,
      emailBody: '{avsender} {mottakerNavn} {mottakerOrgnr} {lenke} {tjeneste}',
      smsText: '{avsender} {mottakerNavn} {mottakerOrgnr} {lenke} {tjeneste}',
    });
    expect(problem?.field).toBe('emailSubject');
    expect(problem?.problem).toMatch(/^unknown placeholder \{y{32}…\}/);
    expect(problem!.problem.length).toBeLessThan(200);
  });
});
