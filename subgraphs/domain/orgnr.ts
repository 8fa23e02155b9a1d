import { ClientError, ErrorCode } from '../../platform/graphql/errors.js';
import { preview } from '../../platform/graphql/preview.js';

/**
 * Organisasjonsnummer: nine digits, the last a mod-11 check digit over the first eight with
 * weights 3,2,7,6,5,4,3,2 (Brønnøysundregistrene). A remainder of 1 makes the number invalid.
 */
const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const;

export type OrgnrProblem = 'length' | 'non-digits' | 'check-digit';

/** Why a string is not a valid organisasjonsnummer, or `null` when it is one. */
export function orgnrProblem(value: string): OrgnrProblem | null {
  if (value.length !== 9) return 'length';
  if (!/^\d{9}$/.test(value)) return 'non-digits';
  return checkDigit(value.slice(0, 8)) === Number(value[8]) ? null : 'check-digit';
}

/** The check digit for eight leading digits, or `null` when no digit makes them valid. */
export function checkDigit(first8: string): number | null {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(first8[i]) * WEIGHTS[i]!;
  const r = sum % 11;
  if (r === 0) return 0;
  if (r === 1) return null;
  return 11 - r;
}

/** A message for people; it quotes at most the start of `value`, however long that is. */
export function describeOrgnrProblem(value: string, problem: OrgnrProblem): string {
  switch (problem) {
    case 'length':
      return `Organisasjonsnummer must be 9 digits; ${preview(value)} has ${value.length} characters.`;
    case 'non-digits':
      return `Organisasjonsnummer must contain only digits; got ${preview(value)}.`;
    case 'check-digit':
      return `Organisasjonsnummer ${preview(value)} fails the mod-11 check digit.`;
  }
}

/** Throws `INVALID_ORGNR` with the reason unless `value` is a valid organisasjonsnummer. */
export function assertOrgnr(value: string): void {
  const problem = orgnrProblem(value);
  if (problem) {
    throw new ClientError(ErrorCode.INVALID_ORGNR, describeOrgnrProblem(value, problem), {
      reason: problem,
    });
  }
}
