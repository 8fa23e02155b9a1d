import { z } from 'zod';

/**
 * The one place that reads `process.env`. Every service describes the variables it needs as a zod
 * object and calls {@link loadEnv} once at start; the result is passed down explicitly.
 */
export function loadEnv<S extends z.ZodType>(schema: S, source = process.env): z.output<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** A TCP port; 0 asks the OS for a free one. */
export const port = (fallback: number) =>
  z.coerce.number().int().min(0).max(65535).default(fallback);

/** Variables every process shares. */
export const commonEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Address servers bind to. */
  HOST: z.string().default('127.0.0.1'),
  /**
   * Shared by the gateway and the subgraphs: signs the caller identity the gateway forwards.
   * Required in production; a development value is used otherwise.
   */
  /** Send OpenTelemetry traces to this OTLP/HTTP collector (e.g. http://127.0.0.1:4318); off when unset. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess((v) => (v === '' ? undefined : v), z.url().optional()),
  INTERNAL_AUTH_SECRET: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
  /** A second secret subgraphs accept (never sign with) while INTERNAL_AUTH_SECRET rotates. */
  INTERNAL_AUTH_SECRET_PREVIOUS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
});

/** A URL that may be unset; an empty value (as `.env.example` has it) counts as unset. */
export const optionalUrl = () =>
  z.preprocess((v) => (v === '' ? undefined : v), z.url().optional());

/** `name=value,name=value` into a record, each value checked by `value`. */
export const pairs = <T>(value: z.ZodType<T>) =>
  z
    .string()
    .default('')
    .transform((raw, ctx) => {
      const out: Record<string, T> = {};
      for (const pair of raw
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const [name, v] = pair.split('=', 2);
        const parsed = value.safeParse(v);
        if (!name || !parsed.success) {
          ctx.addIssue({ code: 'custom', message: `expected name=value, got "${pair}"` });
          return z.NEVER;
        }
        out[name] = parsed.data;
      }
      return out;
    });

/** A comma-separated list; empty when unset. */
export const list = () =>
  z
    .string()
    .default('')
    .transform((raw) =>
      raw
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    );

export const positiveInt = (fallback: number) =>
  z.coerce.number().int().positive().default(fallback);
