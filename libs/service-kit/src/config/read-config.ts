import { ConfigOf, ConfigSpec } from './env-var';

/** A refused configuration: its message is one line naming every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads a spec from the environment once. Keys given in `overrides` (tests, the in-process stack)
 * are taken as they are and their variables not read. Every bad value is reported together.
 */
export function readConfig<S extends ConfigSpec>(
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<ConfigOf<S>> = {},
): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(spec)) {
    const given = (overrides as Record<string, unknown>)[key];
    if (given !== undefined) {
      out[key] = given;
      continue;
    }
    const raw = env[v.name];
    if (raw === undefined || raw === '') {
      out[key] = v.fallback;
      continue;
    }
    const parsed = v.schema.safeParse(raw);
    if (parsed.success) out[key] = parsed.data;
    else problems.push(`${v.name} ${parsed.error.issues[0]?.message ?? 'is invalid'} (got ${JSON.stringify(raw)})`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out as ConfigOf<S>;
}

/** All the variable names of some specs (the README table is checked against them). */
export function variableNames(...specs: ConfigSpec[]): string[] {
  return specs.flatMap((s) => Object.values(s).map((v) => v.name));
}
