import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gatewayEnv } from '../../gateway/env.js';
import { subgraphsOf } from '../../gateway/supergraph.js';
import { loadEnv } from '../../platform/runtime/env.js';
import { portOf, portVariable, subgraphEnv, type SubgraphEnv } from '../../subgraphs/env.js';
import { subgraphs } from '../../subgraphs/registry.js';
import { testEnv } from '../harness/env.js';

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
/** What an operator would give docker compose in the environment. */
const OPERATOR_ENV: Record<string, string> = {
  INTERNAL_AUTH_SECRET: 'an operator secret of at least 32 characters',
  AUTH_JWKS_URL: 'https://login.example/jwks',
  AUTH_ISSUER: 'https://login.example',
  AUTH_AUDIENCE: 'dpv-graph',
};
/** Compose's `${NAME:?message}` and `${NAME:-default}` interpolation, with the operator's values. */
const interpolate = (text: string) =>
  text.replace(
    /\$\{(\w+)(?::\?[^}]*|:-([^}]*))?\}/g,
    (_m, name: string, fallback: string | undefined) => {
      const value = OPERATOR_ENV[name] ?? fallback;
      if (value === undefined) throw new Error(`docker-compose.yml needs unknown variable ${name}`);
      // Compose substitutes into the parsed value: an empty one is an empty string, not null.
      return value === '' ? "''" : value;
    },
  );
const compose = parse(interpolate(readFileSync('docker-compose.yml', 'utf8')), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;
const known = new Set([
  ...Object.keys(subgraphEnv.shape),
  ...Object.keys(gatewayEnv.shape),
  ...Object.keys(testEnv.shape),
]);

/** dist/x/y.js is built from x/y.ts. */
const sourceOf = (file: string) => file.replace(/^dist\//, '').replace(/\.js$/, '.ts');

describe('.env.example', () => {
  it('lists every variable the code reads, and nothing else', () => {
    const listed = readFileSync('.env.example', 'utf8')
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => l.split('=')[0]);
    expect(listed.sort()).toEqual([...known].sort());
  });

  it('holds values the code accepts', () => {
    const values = Object.fromEntries(
      readFileSync('.env.example', 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
    const env = loadEnv(subgraphEnv, values) as SubgraphEnv;
    for (const def of subgraphs) expect(portOf(env, def)).toBe(def.defaultPort);
    expect(loadEnv(gatewayEnv, values).PORT).toBe(4000);
  });
});

describe('docker-compose.yml', () => {
  it('runs PostgreSQL, every subgraph and the gateway, each with a health check', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['gateway', 'postgres', ...subgraphs.map((s) => s.name)].sort(),
    );
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test.length, name).toBeGreaterThan(0);
    }
  });

  it('starts each subgraph with a command that exists, on its port, wired to the database', () => {
    for (const def of subgraphs) {
      const service = services[def.name]!;
      expect(existsSync(sourceOf(service.command![1]!)), def.name).toBe(true);
      expect(service.command![2]).toBe(def.name);
      const env = loadEnv(subgraphEnv, service.environment) as SubgraphEnv;
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(service.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${portOf(env, def)}/ready`);
      expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(
        Object.keys(service.environment!).every((k) => known.has(k)),
        def.name,
      ).toBe(true);
      expect(service.environment![portVariable(def)]).toBeDefined();
    }
  });

  it('runs in production mode with secrets from the operator, not from the file', () => {
    for (const name of ['gateway', ...subgraphs.map((s) => s.name)]) {
      const env = services[name]!.environment!;
      expect(env.NODE_ENV, name).toBe('production');
      expect(env.INTERNAL_AUTH_SECRET, name).toBe(OPERATOR_ENV.INTERNAL_AUTH_SECRET);
    }
    // Outside a rotation the previous secret is empty, which the subgraphs read as unset.
    for (const def of subgraphs) {
      const env = loadEnv(subgraphEnv, services[def.name]!.environment);
      expect(env.INTERNAL_AUTH_SECRET_PREVIOUS, def.name).toBeUndefined();
    }
  });

  it('points the gateway at every subgraph of the supergraph and waits until they are healthy', () => {
    const gateway = services.gateway!;
    expect(existsSync(sourceOf(gateway.command![1]!))).toBe(true);
    expect(Object.keys(gateway.environment!).every((k) => known.has(k))).toBe(true);
    const env = loadEnv(gatewayEnv, gateway.environment);
    const composed = subgraphsOf(readFileSync(env.SUPERGRAPH_PATH, 'utf8')).map((s) => s.name);
    expect(Object.keys(env.SUBGRAPH_URLS).sort()).toEqual(composed.sort());
    for (const def of subgraphs) {
      const url = new URL(env.SUBGRAPH_URLS[def.name]!);
      const port = portOf(
        loadEnv(subgraphEnv, services[def.name]!.environment) as SubgraphEnv,
        def,
      );
      expect(url.host).toBe(`${def.name}:${port}`);
      expect(gateway.depends_on?.[def.name]?.condition).toBe('service_healthy');
    }
    expect(gateway.healthcheck!.test.join(' ')).toContain(`127.0.0.1:${env.PORT}/ready`);
    expect(env.AUTH_JWKS_URL).toBe(OPERATOR_ENV.AUTH_JWKS_URL);
  });
});
