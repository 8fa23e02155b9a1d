import { createLogger } from '../../platform/runtime/logger.js';
import { openOrm } from '../../platform/db/orm.js';
import { openConfiguredDatabase, loadSubgraphEnv } from '../env.js';
import { subgraphs } from '../registry.js';

/** `npm run seed`: migrates every subgraph's schema and loads the demo data set (idempotent). */
const env = loadSubgraphEnv();
const log = createLogger('seed', env.LOG_LEVEL);
const db = await openConfiguredDatabase(env, log);
try {
  for (const def of subgraphs) {
    const orm = await openOrm({
      url: db.url,
      schema: def.dbSchema,
      entities: def.entities,
      migrations: def.migrations,
      log,
    });
    try {
      await def.seed(orm.em.fork());
      log.info({ subgraph: def.name }, 'demo data loaded');
    } finally {
      await orm.close();
    }
  }
} finally {
  await db.stop();
}
