import { describe, expect, it } from 'vitest';
import { checkDigit, orgnrProblem } from '../../subgraphs/domain/orgnr.js';

describe('organisasjonsnummer', () => {
  it('accepts real numbers whose check digit is right', () => {
    for (const n of ['974761076', '974760673', '958935420', '889640782', '923609016']) {
      expect(orgnrProblem(n), n).toBeNull();
    }
  });

  it('names the problem: length, non-digits, check digit', () => {
    expect(orgnrProblem('97476107')).toBe('length');
    expect(orgnrProblem('9747610761')).toBe('length');
    expect(orgnrProblem('97476107a')).toBe('non-digits');
    expect(orgnrProblem('974761077')).toBe('check-digit');
  });

  it('uses 0 when the remainder is 0 and has no check digit when it is 1', () => {
    // 3*1 + 2*1 + 7*0 + 6*0 + 5*0 + 4*0 + 3*0 + 2*3 = 11 → remainder 0
    expect(checkDigit('11000003')).toBe(0);
    expect(orgnrProblem('110000030')).toBeNull();
    // 3*1 + 3*3 = 12 → remainder 1: no number starts with these digits
    expect(checkDigit('10000030')).toBeNull();
    for (let d = 0; d <= 9; d++) expect(orgnrProblem(`10000030${d}`)).toBe('check-digit');
  });
});
