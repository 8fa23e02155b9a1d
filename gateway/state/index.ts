import pg from 'pg';
import type { Logger } from '../../platform/runtime/logger.js';
import { openOrm } from '../../platform/db/orm.js';
import { migrations } from './migrations/index.js';

/** The Postgres schema that holds what every gateway instance shares. */
export const GATEWAY_SCHEMA = 'gateway';

/**
 * The gateway's own state (rate-limit budgets; subscription resume positions next), kept where
 * every instance reaches it: the `gateway` schema of the graph's PostgreSQL, changed only by the
 * migrations beside this file, as each subgraph's schema is.
 */
export interface GatewayState {
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function openGatewayState(url: string, log: Logger): Promise<GatewayState> {
  const orm = await openOrm({ url, schema: GATEWAY_SCHEMA, entities: [], migrations, log });
  await orm.close();
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    options: `-c search_path=${GATEWAY_SCHEMA}`,
    // A budget check waits at most this long; past it the instance's own budget answers.
    connectionTimeoutMillis: 2_000,
    query_timeout: 2_000,
    keepAlive: true,
  });
  pool.on('error', (err) => log.warn({ err }, 'gateway state connection lost'));
  return { pool, close: () => pool.end() };
}
