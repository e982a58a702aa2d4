import { ConfigError } from './read-config';

/** The server key and the token secrets; the previous secret only verifies (rotation). */
export interface Secrets {
  apiKey: string;
  tokenSecret: string;
  /** Tokens signed with these still verify; new tokens are signed with `tokenSecret` only. */
  previousTokenSecrets: string[];
}

export const DEV_API_KEY = 'dev-server-key';
export const DEV_TOKEN_SECRET = 'dev-token-secret-change-me';
/** Values published in this repository (defaults, tests, examples): never a production secret. */
const KNOWN_VALUES = new Set([DEV_API_KEY, DEV_TOKEN_SECRET, 'test-server-key', 'test-token-secret', 'changeme', 'change-me', 'secret']);
export const MIN_SECRET_LENGTH = 32;

type Warn = (message: string) => void;

/**
 * Reads `IM_API_KEY`, `IM_TOKEN_SECRET` and `IM_TOKEN_SECRET_PREVIOUS`. An empty value is refused
 * in every mode (an HMAC with an empty key is forgeable). With `NODE_ENV=production` an unset,
 * known or short secret is refused too; otherwise an unset one falls back to the development
 * value, with a warning.
 */
export function readSecrets(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Secrets> = {}, warn: Warn = () => {}): Secrets {
  const production = env.NODE_ENV === 'production';
  const problems: string[] = [];
  const read = (name: string, devValue: string): string => {
    const raw = env[name];
    if (raw === undefined) {
      if (production) problems.push(`${name} is unset (required when NODE_ENV=production)`);
      else warn(`${name} unset: using the development value; set it for anything real`);
      return devValue;
    }
    problems.push(...secretProblems(name, raw, production));
    return raw;
  };
  const apiKey = overrides.apiKey ?? read('IM_API_KEY', DEV_API_KEY);
  const tokenSecret = overrides.tokenSecret ?? read('IM_TOKEN_SECRET', DEV_TOKEN_SECRET);
  // Empty reads as "no rotation under way" (compose passes `${X:-}`); it is never used as a key.
  const previous = env.IM_TOKEN_SECRET_PREVIOUS || undefined;
  if (previous !== undefined && overrides.previousTokenSecrets === undefined) {
    problems.push(...secretProblems('IM_TOKEN_SECRET_PREVIOUS', previous, production));
  }
  if (production && apiKey === tokenSecret) problems.push('IM_API_KEY and IM_TOKEN_SECRET must differ');
  if (problems.length) throw new ConfigError(problems);
  return { apiKey, tokenSecret, previousTokenSecrets: overrides.previousTokenSecrets ?? (previous ? [previous] : []) };
}

function secretProblems(name: string, value: string, production: boolean): string[] {
  if (value.trim() === '') return [`${name} is empty (an HMAC with an empty key is forgeable)`];
  if (!production) return [];
  if (KNOWN_VALUES.has(value)) return [`${name} is a published default value (not allowed when NODE_ENV=production)`];
  if (value.length < MIN_SECRET_LENGTH) return [`${name} is shorter than ${MIN_SECRET_LENGTH} characters (not allowed when NODE_ENV=production)`];
  return [];
}

/** The variables `readSecrets` reads (for the README table check). */
export const SECRET_VARIABLES = ['NODE_ENV', 'IM_API_KEY', 'IM_TOKEN_SECRET', 'IM_TOKEN_SECRET_PREVIOUS'];
