import { signDevToken } from '../platform/auth/devKeys.js';
import type { ExplorerOptions } from '../platform/http/explorer.js';
import type { Authenticator } from './auth.js';

export interface GatewayExplorerSettings {
  production: boolean;
  /** EXPLORER: unset means on in development, off in production. */
  enabled: boolean | undefined;
  /** How the gateway verifies tokens: a token is prefilled only with its development keys. */
  auth: Pick<Authenticator, 'mode'>;
  /** The development key pair (AUTH_DEV_KEY_PATH). */
  devKeyPath: string;
  /** The enhet and scopes of the prefilled token; no org, no token. */
  tokenOrg: string | undefined;
  tokenScope: string;
  /** The longest token lifetime the gateway accepts (AUTH_MAX_TOKEN_LIFETIME_S), in seconds. */
  tokenTtlSeconds: number;
}

/** A prefilled token lives an hour, as `npm run token`'s do, and never past the gateway's limit. */
const TOKEN_TTL_SECONDS = 3_600;

/**
 * The gateway's explorer: none in production unless enabled; in development, where the gateway
 * trusts its own key pair, the headers editor opens with a fresh token signed with it (each page
 * load signs one), so that a developer can query an inbox and subscribe at once.
 */
export function gatewayExplorer(settings: GatewayExplorerSettings): ExplorerOptions | false {
  if (!(settings.enabled ?? !settings.production)) return false;
  const { tokenOrg } = settings;
  if (settings.production || settings.auth.mode !== 'development' || tokenOrg === undefined) {
    return {};
  }
  return {
    headers: async () => {
      const token = await signDevToken(settings.devKeyPath, {
        sub: 'explorer',
        org: tokenOrg,
        scope: settings.tokenScope,
        ttl: Math.min(TOKEN_TTL_SECONDS, settings.tokenTtlSeconds),
      });
      return { Authorization: `Bearer ${token}` };
    },
  };
}
