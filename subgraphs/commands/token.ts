import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv } from '../../platform/runtime/env.js';
import { PID_PATTERN } from '../../platform/auth/caller.js';
import { devKeyEnv, signDevToken } from '../../platform/auth/devKeys.js';

/**
 * `npm run -s token -- --org 310012343 --scope "dpv:read dpv:send"` prints a development token
 * that a gateway without AUTH_JWKS_URL accepts. Flags: --sub (default dev-user), --ttl seconds
 * (default 3600), --pid for a person (an ID-porten login, eleven digits) acting for --org.
 */
const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    pid: { type: 'string' },
    scope: { type: 'string', default: '' },
    sub: { type: 'string', default: 'dev-user' },
    ttl: { type: 'string', default: '3600' },
  },
});
const env = loadEnv(devKeyEnv);
if (env.AUTH_JWKS_URL) {
  console.error('warning: AUTH_JWKS_URL is set, so the gateway will not accept development tokens');
}
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) {
  console.error('--ttl must be a positive number of seconds');
  process.exit(2);
}
if (values.pid !== undefined && !PID_PATTERN.test(values.pid)) {
  console.error('--pid must be eleven digits');
  process.exit(2);
}
const token = await signDevToken(path.resolve(env.AUTH_DEV_KEY_PATH), {
  sub: values.sub,
  org: values.org,
  pid: values.pid,
  scope: values.scope,
  ttl,
});
process.stdout.write(`${token}\n`);
