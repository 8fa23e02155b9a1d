import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { assertOrgnr } from '../../domain/orgnr.js';
import { decodeCursor, encodeCursor, type Page } from '../../../platform/graphql/connection.js';
import { Enhet } from '../entities/Enhet.js';
import { checkFilterCaps, NavnSok, type EnhetFilter } from './EnhetFilter.js';

/** Applies every given filter; deleted enheter only when asked for. */
function applyFilter(q: Knex.QueryBuilder, f: EnhetFilter): void {
  if (!f.inkluderSlettede) q.whereNull('slettedato');
  if (f.navn && f.navnSok !== NavnSok.FUZZY) {
    q.whereRaw(`lower(navn) like ? escape '\\'`, [`${escapeLike(f.navn.toLowerCase())}%`]);
  }
  if (f.navn && f.navnSok === NavnSok.FUZZY) q.whereRaw('navn % ?', [f.navn]);
  if (f.organisasjonsform?.length) q.whereIn('organisasjonsform_kode', f.organisasjonsform);
  if (f.naeringskode) q.whereRaw('naeringskoder @> array[?]::text[]', [f.naeringskode]);
  if (f.kommunenummer) q.where('kommunenummer', f.kommunenummer);
  if (f.postnummer) q.where('postnummer', f.postnummer);
  // A stub (deleted enhet) has no flags: it counts as false.
  const flags: Array<[boolean | undefined, string]> = [
    [f.konkurs, 'konkurs'],
    [f.underAvvikling, 'under_avvikling'],
    [f.registrertIMvaregisteret, 'registrert_i_mvaregisteret'],
  ];
  for (const [value, column] of flags) {
    if (value != null) q.whereRaw(`coalesce(${column}, false) = ?`, [value]);
  }
  if (f.fraAntallAnsatte != null) q.where('antall_ansatte', '>=', f.fraAntallAnsatte);
  if (f.tilAntallAnsatte != null) q.where('antall_ansatte', '<=', f.tilAntallAnsatte);
  if (f.fraStiftelsesdato) q.where('stiftelsesdato', '>=', f.fraStiftelsesdato);
  if (f.tilStiftelsesdato) q.where('stiftelsesdato', '<=', f.tilStiftelsesdato);
  if (f.overordnetEnhet) {
    assertOrgnr(f.overordnetEnhet);
    q.where('overordnet_enhet_orgnr', f.overordnetEnhet);
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of enheter matching `filter`, by keyset: ordered by organisasjonsnummer, or for a
 * fuzzy name search by trigram distance and then number. Rows inserted while a client pages never
 * shift the rows it has not seen, and there is no cap on how far it can page.
 */
export async function searchEnheter(
  em: EntityManager,
  filter: EnhetFilter,
  first: number,
  after: string | null,
): Promise<Page<Enhet>> {
  checkFilterCaps(filter);
  const knex = em.getKnex();
  const connection = em.getConnection();
  const fuzzyName = filter.navn && filter.navnSok === NavnSok.FUZZY ? filter.navn : null;
  const fuzzy = fuzzyName !== null;
  const q = knex.select('*').from('enhet');
  applyFilter(q, filter);
  if (fuzzyName !== null) {
    // Nearest by trigram distance (1 − similarity), by the GiST index; ties by number.
    q.select(knex.raw('(navn <-> ?)::real as score', [fuzzyName]));
    if (after) {
      const [score, orgnr] = decodeCursor(after, 2) as [number, string];
      q.whereRaw('((navn <-> ?)::real, organisasjonsnummer) > (?::real, ?)', [
        fuzzyName,
        score,
        orgnr,
      ]);
    }
    q.orderByRaw('navn <-> ? asc, organisasjonsnummer asc', [fuzzyName]);
  } else {
    if (after) q.where('organisasjonsnummer', '>', decodeCursor(after, 1)[0]!);
    q.orderBy('organisasjonsnummer', 'asc');
  }
  const rows: Array<Record<string, unknown>> = await connection.execute(q.limit(first + 1));
  const page = rows.slice(0, first);
  return {
    nodes: page.map((r) => em.map(Enhet, r as never)),
    cursors: page.map((r) =>
      encodeCursor(
        fuzzy ? [Number(r.score), String(r.organisasjonsnummer)] : [String(r.organisasjonsnummer)],
      ),
    ),
    hasNextPage: rows.length > first,
    count: async () => {
      const c = knex.count('* as n').from('enhet');
      applyFilter(c, filter);
      const [row] = (await connection.execute(c)) as Array<{ n: string }>;
      return Number(row?.n ?? 0);
    },
  };
}
