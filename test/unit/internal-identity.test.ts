import { decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { callerFrom } from '../../platform/auth/caller.js';
import {
  DEVELOPMENT_SECRET,
  InternalIdentity,
  internalIdentityFrom,
  keyIdOf,
} from '../../platform/auth/internalIdentity.js';
import { loadEnv } from '../../platform/runtime/env.js';
import { subgraphEnv } from '../../subgraphs/env.js';

const OLD = 'unit test: the old internal secret (32+ chars)';
const NEW = 'unit test: the new internal secret (32+ chars)';
const caller = callerFrom({ sub: 'unit', org: '310012343', scope: 'dpv:read' });

/** A token as a gateway from before key ids signed it: no `kid`. */
const withoutKid = (secret: string) =>
  new SignJWT({ scope: 'dpv:read', org: '310012343' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('dpv-graph-gateway')
    .setAudience('dpv-graph-subgraphs')
    .setSubject('unit')
    .setIssuedAt()
    .setExpirationTime('60s')
    .sign(new TextEncoder().encode(secret));

describe('the internal key id', () => {
  it('is derived from the secret, short, stable, and not the secret', () => {
    expect(keyIdOf(NEW)).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(keyIdOf(NEW)).toBe(keyIdOf(NEW));
    expect(keyIdOf(NEW)).not.toBe(keyIdOf(OLD));
    expect(NEW).not.toContain(keyIdOf(NEW));
  });

  it("is in every token's header", async () => {
    const token = await new InternalIdentity(NEW).sign(caller);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', kid: keyIdOf(NEW) });
  });
});

describe('a subgraph during a rotation', () => {
  const during = new InternalIdentity(NEW, 60, OLD);
  const after = new InternalIdentity(NEW);

  it('accepts tokens of the current and of the previous secret, each by its kid', async () => {
    for (const secret of [OLD, NEW]) {
      const verified = await during.verify(await new InternalIdentity(secret).sign(caller));
      expect(verified).toMatchObject({ sub: 'unit', org: '310012343' });
    }
    expect(during.acceptedKeyIds).toEqual([keyIdOf(NEW), keyIdOf(OLD)]);
    expect(during.keyId).toBe(keyIdOf(NEW));
  });

  it('refuses the previous secret once it is dropped, naming the kid it did not know', async () => {
    const old = await new InternalIdentity(OLD).sign(caller);
    await expect(after.verify(old)).rejects.toThrow(`unknown key id "${keyIdOf(OLD)}"`);
  });

  it('refuses a token whose kid names one key and whose signature is another', async () => {
    const forged = await new SignJWT({ scope: 'dpv:read' })
      .setProtectedHeader({ alg: 'HS256', kid: keyIdOf(NEW) })
      .setIssuer('dpv-graph-gateway')
      .setAudience('dpv-graph-subgraphs')
      .setExpirationTime('60s')
      .sign(new TextEncoder().encode(OLD));
    await expect(during.verify(forged)).rejects.toThrow(/signature/);
  });

  it('checks a token without kid (a gateway from before key ids) against the current secret only', async () => {
    await expect(after.verify(await withoutKid(NEW))).resolves.toMatchObject({ sub: 'unit' });
    await expect(during.verify(await withoutKid(OLD))).rejects.toThrow(/signature/);
  });
});

describe('configuration', () => {
  it('signs with INTERNAL_AUTH_SECRET and also accepts INTERNAL_AUTH_SECRET_PREVIOUS', () => {
    const env = loadEnv(subgraphEnv, {
      INTERNAL_AUTH_SECRET: NEW,
      INTERNAL_AUTH_SECRET_PREVIOUS: OLD,
    });
    const identity = internalIdentityFrom(env);
    expect(identity.keyId).toBe(keyIdOf(NEW));
    expect(identity.acceptedKeyIds).toEqual([keyIdOf(NEW), keyIdOf(OLD)]);
    expect(internalIdentityFrom(loadEnv(subgraphEnv, {})).acceptedKeyIds).toEqual([
      keyIdOf(DEVELOPMENT_SECRET),
    ]);
  });

  it('refuses a short previous secret, and a previous one without a current one', () => {
    expect(() => loadEnv(subgraphEnv, { INTERNAL_AUTH_SECRET_PREVIOUS: 'short' })).toThrow(
      /INTERNAL_AUTH_SECRET_PREVIOUS: must be at least 32 characters/,
    );
    expect(() =>
      internalIdentityFrom({ NODE_ENV: 'development', INTERNAL_AUTH_SECRET_PREVIOUS: OLD }),
    ).toThrow(/needs INTERNAL_AUTH_SECRET/);
  });

  it('production: refuses no secret, and the development secret as current or previous', () => {
    expect(() => internalIdentityFrom({ NODE_ENV: 'production' })).toThrow(
      /INTERNAL_AUTH_SECRET is required/,
    );
    expect(() =>
      internalIdentityFrom({ NODE_ENV: 'production', INTERNAL_AUTH_SECRET: DEVELOPMENT_SECRET }),
    ).toThrow(/INTERNAL_AUTH_SECRET is the development secret/);
    expect(() =>
      internalIdentityFrom({
        NODE_ENV: 'production',
        INTERNAL_AUTH_SECRET: NEW,
        INTERNAL_AUTH_SECRET_PREVIOUS: DEVELOPMENT_SECRET,
      }),
    ).toThrow(/INTERNAL_AUTH_SECRET_PREVIOUS is the development secret/);
    expect(
      internalIdentityFrom({
        NODE_ENV: 'production',
        INTERNAL_AUTH_SECRET: NEW,
        INTERNAL_AUTH_SECRET_PREVIOUS: OLD,
      }).acceptedKeyIds,
    ).toEqual([keyIdOf(NEW), keyIdOf(OLD)]);
  });
});
