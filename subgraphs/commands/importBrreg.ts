import { parseArgs } from 'node:util';
import { createLogger } from '../../platform/runtime/logger.js';
import { migrateSubgraph } from '../../platform/subgraph.js';
import {
  applyOppdateringer,
  importFile,
  importPool,
  type ImportReport,
  type Kind,
} from '../enhetsregisteret/brreg/importer.js';
import { definition as enhetsregisteret } from '../enhetsregisteret/index.js';
import { openConfiguredDatabase, loadSubgraphEnv } from '../env.js';

/**
 * `npm run import:brreg -- --enheter F --underenheter F --roller F` imports brreg bulk files;
 * `--oppdateringer F` applies an update feed. Skipped records are listed on stderr and make the
 * exit status 1.
 */
const { values } = parseArgs({
  options: {
    enheter: { type: 'string' },
    underenheter: { type: 'string' },
    roller: { type: 'string' },
    oppdateringer: { type: 'string' },
  },
});
const env = loadSubgraphEnv();
const log = createLogger('import', env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL);
const db = await openConfiguredDatabase(env, log);
let failed = false;
try {
  // Bring the schema up to date first; the import itself is plain SQL.
  await migrateSubgraph(enhetsregisteret, db.url, log);
  const pool = importPool(db.url);
  try {
    const files: Array<[Kind, string | undefined]> = [
      ['enheter', values.enheter],
      ['underenheter', values.underenheter],
      ['roller', values.roller],
    ];
    const indexes: Array<Promise<void>> = [];
    for (const [kind, file] of files) {
      if (!file) continue;
      const report = await importFile(pool, kind, file, { ...progress(kind), deferIndexes: true });
      if (report.indexes) indexes.push(report.indexes);
      failed = show(kind, report) || failed;
    }
    await Promise.all(indexes);
    if (values.oppdateringer) {
      const r = await applyOppdateringer(pool, values.oppdateringer, progress('oppdateringer'));
      failed = show('oppdateringer', r) || failed;
      process.stderr.write(`oppdateringer: position ${r.position}\n`);
    }
  } finally {
    await pool.end();
  }
} finally {
  await db.stop();
}
process.exit(failed ? 1 : 0);

function progress(kind: string) {
  const began = performance.now();
  let lastLine = 0;
  return {
    onProgress: (n: number) => {
      const rate = Math.round(n / ((performance.now() - began) / 1000));
      if (process.stderr.isTTY) {
        process.stderr.write(
          `\r${kind}: ${n.toLocaleString('nb-NO')} (${rate.toLocaleString('nb-NO')}/s)   `,
        );
      } else if (n - lastLine >= 100_000) {
        lastLine = n;
        process.stderr.write(`${kind}: ${n} (${rate}/s)\n`);
      }
    },
  };
}

function show(kind: string, report: ImportReport): boolean {
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stderr.write(`${kind}: ${report.imported} imported, ${report.skipped.length} skipped\n`);
  for (const s of report.skipped.slice(0, 100)) {
    process.stderr.write(`  ${s.file}: element ${s.index} (line ${s.line}): ${s.reason}\n`);
  }
  if (report.skipped.length > 100)
    process.stderr.write(`  … and ${report.skipped.length - 100} more\n`);
  return report.skipped.length > 0;
}
