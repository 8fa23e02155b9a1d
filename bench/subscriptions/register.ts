import pg from 'pg';
import { generateEnheter } from '../../subgraphs/enhetsregisteret/brreg/generate.js';
import { UPSERT_ENHETER, UPSERT_FORMER } from '../../subgraphs/enhetsregisteret/brreg/sql.js';
import type { BrregEnhet } from '../../subgraphs/enhetsregisteret/brreg/types.js';

/**
 * Adds `count` enheter (and a margin for deleted ones) to the register: the synthetic
 * generator's enheter past the 2 000 the seed holds, upserted as the seed upserts them.
 */
export async function growRegister(databaseUrl: string, count: number): Promise<number> {
  const SEEDED = 2000;
  const wanted = Math.ceil(count * 1.05) + 50;
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    options: '-c search_path=enhetsregisteret,public',
    max: 1,
  });
  try {
    let batch: BrregEnhet[] = [];
    let added = 0;
    const flush = async () => {
      const forms = [
        ...new Map(batch.map((e) => [e.organisasjonsform.kode, e.organisasjonsform])).values(),
      ];
      await pool.query(UPSERT_FORMER, [JSON.stringify(forms)]);
      await pool.query(UPSERT_ENHETER, [JSON.stringify(batch)]);
      added += batch.length;
      batch = [];
    };
    let i = 0;
    for (const enhet of generateEnheter({ enheter: SEEDED + wanted, underenheter: 0 })) {
      if (i++ < SEEDED) continue;
      batch.push(enhet);
      if (batch.length === 1000) await flush();
    }
    if (batch.length) await flush();
    return added;
  } finally {
    await pool.end();
  }
}
