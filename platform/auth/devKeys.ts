import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { z } from 'zod';
import { optionalUrl } from '../runtime/env.js';

/**
 * Development identity: a key pair kept on disk (created on first use) that a gateway without
 * AUTH_JWKS_URL trusts, and the tokens the development commands (`token`, `watch`) sign with it.
 */

/** Issuer and audience of development tokens (`npm run token`). */
export const DEV_ISSUER = 'dpv-graph-dev';
export const DEV_AUDIENCE = 'dpv-graph';
const DEV_ALG = 'ES256';
export const DEV_KEY_PATH = '.data/auth/dev-signing-key.json';

/** What the development commands read: where the key is, and whether a JWKS makes it moot. */
export const devKeyEnv = z.object({
  AUTH_JWKS_URL: optionalUrl(),
  AUTH_DEV_KEY_PATH: z.string().default(DEV_KEY_PATH),
});

interface DevKeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** The development key pair, created once; concurrent first runs agree on one file. */
export async function loadDevKeyPair(file: string) {
  if (!existsSync(file)) {
    const { privateKey, publicKey } = await generateKeyPair(DEV_ALG, { extractable: true });
    const content: DevKeyFile = {
      kid: `dev-${Date.now().toString(36)}`,
      privateJwk: await exportJWK(privateKey),
      publicJwk: await exportJWK(publicKey),
    };
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(content, null, 2), { flag: 'wx', mode: 0o600 }).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      },
    );
  }
  const content = JSON.parse(await readFile(file, 'utf8')) as DevKeyFile;
  return {
    kid: content.kid,
    privateKey: (await importJWK(content.privateJwk, DEV_ALG)) as CryptoKey,
    publicKey: (await importJWK(content.publicJwk, DEV_ALG)) as CryptoKey,
  };
}

export interface DevTokenClaims {
  sub: string;
  org?: string | undefined;
  /** A person's identifier (an ID-porten login); the token then acts for `org` as that person. */
  pid?: string | undefined;
  scope: string;
  /** Lifetime in seconds. */
  ttl: number;
}

/** A development token that the gateway in development mode accepts. */
export async function signDevToken(file: string, claims: DevTokenClaims): Promise<string> {
  const { kid, privateKey } = await loadDevKeyPair(file);
  return new SignJWT({
    scope: claims.scope,
    ...(claims.org ? { org: claims.org } : {}),
    ...(claims.pid ? { pid: claims.pid } : {}),
  })
    .setProtectedHeader({ alg: DEV_ALG, kid })
    .setSubject(claims.sub)
    .setIssuer(DEV_ISSUER)
    .setAudience(DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + claims.ttl)
    .sign(privateKey);
}
