import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../platform/db/database.js';
import { loadEnv } from '../../platform/runtime/env.js';
import { createLogger } from '../../platform/runtime/logger.js';
import { testEnv } from './env.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A server where each test file creates its own database. */
    adminDatabaseUrl: string;
  }
}

/** One PostgreSQL for the whole run: the embedded one, or the server in DATABASE_URL. */
export default async function setup(project: TestProject) {
  const env = loadEnv(testEnv);
  if (env.DATABASE_URL) {
    project.provide('adminDatabaseUrl', env.DATABASE_URL);
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'dpv-graph-test-'));
  const db = await openDatabase({
    dataDir: path.join(dir, 'pg'),
    port: env.TEST_PG_PORT,
    database: 'postgres',
    ephemeral: true,
    log: createLogger('test-postgres', 'warn'),
  });
  project.provide('adminDatabaseUrl', db.url);
  return async () => {
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
