import { z } from 'zod';
import { optionalUrl, port } from '../../platform/runtime/env.js';

export const testEnv = z.object({
  /** Run the tests against this server (each test file gets a database of its own). */
  DATABASE_URL: optionalUrl(),
  /** Port of the embedded PostgreSQL the tests start when DATABASE_URL is unset. */
  TEST_PG_PORT: port(54330),
});
