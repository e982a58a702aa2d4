import { z } from 'zod';

/**
 * One environment variable: its name, how its text parses, and its default. A config is a record
 * of these (`defineConfig`), so adding a variable is one line: `key: envVar('NAME', type, default)`.
 */
export interface EnvVar<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  readonly fallback: T;
}

/** Unset or empty means the default (compose passes `${X:-}` as an empty string). */
export function envVar<T>(name: string, schema: z.ZodType<T>, fallback: T): EnvVar<T> {
  return { name, schema, fallback };
}

/** A variable with no default: unset or empty reads as `undefined`. */
export function optionalEnvVar<T>(name: string, schema: z.ZodType<T>): EnvVar<T | undefined> {
  return { name, schema, fallback: undefined };
}

export type ConfigSpec = Record<string, EnvVar<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends EnvVar<infer T> ? T : never };

/** A spec, typed; the identity, so a config file reads as a table of variables. */
export function defineConfig<S extends ConfigSpec>(spec: S): S {
  return spec;
}

/** The value types a variable can have. Each one's message completes "NAME ...". */
export const EnvTypes = {
  /** A whole number in [min, max]. */
  int: (min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`),
  /** A number above zero (durations, sizes). */
  positive: () =>
    z
      .string()
      .transform(Number)
      .refine((n) => Number.isFinite(n) && n > 0, 'must be a positive number'),
  port: () => EnvTypes.int(0, 65535),
  /** One of a fixed set of words. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `must be one of ${values.join(', ')}` }),
  /** Any non-blank text. */
  text: () => z.string().trim().min(1, 'must not be blank'),
  /** Comma-separated URLs, each with one of the given protocols (e.g. `['nats:', 'tls:']`). */
  urls: (protocols: string[]) =>
    z.string().refine((s) => s.split(',').every((u) => hasProtocol(u.trim(), protocols)), `must be a URL (${protocols.join(' ')}), comma-separated for several`),
  url: (protocols: string[]) => z.string().refine((s) => hasProtocol(s, protocols), `must be a URL (${protocols.join(' ')})`),
  /** Comma-separated values, blanks dropped. */
  list: () =>
    z
      .string()
      .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
  regex: () =>
    z.string().transform((s, ctx) => {
      try {
        return new RegExp(s);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a valid regular expression' });
        return z.NEVER;
      }
    }),
};

function hasProtocol(s: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(s).protocol);
  } catch {
    return false;
  }
}
