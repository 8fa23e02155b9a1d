import { createHash } from 'node:crypto';

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function control(digits: readonly number[], weights: readonly number[]): number | null {
  const sum = weights.reduce((s, w, i) => s + w * digits[i]!, 0);
  const k = 11 - (sum % 11);
  if (k === 11) return 0;
  return k === 10 ? null : k;
}

/**
 * A synthetic person identifier for generated data: the birth date as DDMMYY with 80 added to
 * the month (the convention of Skatteetaten's synthetic test numbers, so it can never be a real
 * person's), an individual number drawn from the person's name, and the two mod-11 control digits
 * of a fødselsnummer. The same person (birth date and name) always gets the same number.
 */
export function syntheticPid(fodselsdato: string, name: string): string {
  const [y, m, d] = fodselsdato.split('-');
  const date = `${d}${String(Number(m) + 80)}${y!.slice(2)}`;
  const seed = createHash('sha256').update(`${fodselsdato}|${name}`).digest().readUInt32BE(0);
  for (let attempt = 0; attempt < 1000; attempt += 1) {
    const individual = String((seed + attempt) % 1000).padStart(3, '0');
    const digits = [...`${date}${individual}`].map(Number);
    const k1 = control(digits, K1);
    if (k1 === null) continue;
    const k2 = control([...digits, k1], K2);
    if (k2 === null) continue;
    return `${date}${individual}${k1}${k2}`;
  }
  throw new Error(`no synthetic identity number for ${fodselsdato}`);
}
