import { commonSpec } from './common.config';
import { defineConfig, envVar, EnvTypes, optionalEnvVar } from './env-var';
import { ConfigError, readConfig } from './read-config';
import { DEV_API_KEY, DEV_TOKEN_SECRET, readSecrets } from './secrets';

const strong = (c: string) => c.repeat(32);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('readConfig', () => {
  const spec = defineConfig({
    port: envVar('PORT', EnvTypes.port(), 3000),
    level: envVar('LOG_LEVEL', EnvTypes.oneOf(['info', 'silent'] as const), 'info' as 'info' | 'silent'),
    nats: envVar('NATS_URL', EnvTypes.urls(['nats:']), 'nats://127.0.0.1:4222'),
    hook: optionalEnvVar('HOOK', EnvTypes.url(['https:'])),
  });

  it('takes defaults for unset and empty variables, and parses set ones', () => {
    expect(readConfig(spec, { PORT: '', LOG_LEVEL: undefined })).toEqual({ port: 3000, level: 'info', nats: 'nats://127.0.0.1:4222', hook: undefined });
    expect(readConfig(spec, { PORT: '8080', LOG_LEVEL: 'silent', NATS_URL: 'nats://a:1, nats://b:2', HOOK: 'https://x.example/' })).toEqual({
      port: 8080,
      level: 'silent',
      nats: 'nats://a:1, nats://b:2',
      hook: 'https://x.example/',
    });
  });

  it('refuses bad values, naming every variable in one line', () => {
    const message = refusal(() => readConfig(spec, { PORT: 'abc', LOG_LEVEL: 'verbose', NATS_URL: 'localhost:4222', HOOK: 'ftp://x' }));
    expect(message).not.toContain('\n');
    expect(message).toContain('PORT must be a whole number (got "abc")');
    expect(message).toContain('LOG_LEVEL must be one of info, silent (got "verbose")');
    expect(message).toContain('NATS_URL must be a URL');
    expect(message).toContain('HOOK must be a URL (https:)');
    expect(refusal(() => readConfig(spec, { PORT: '70000' }))).toContain('PORT must be between 0 and 65535');
  });

  it('takes overrides as given without reading their variables', () => {
    expect(readConfig(spec, { PORT: 'abc' }, { port: 0 }).port).toBe(0);
  });

  it('validates the common variables', () => {
    expect(refusal(() => readConfig(commonSpec, { DATABASE_URL: 'not a url' }))).toContain('DATABASE_URL must be a URL (postgres: postgresql:)');
    expect(refusal(() => readConfig(commonSpec, { SUBJECT_PREFIX: 'a.b' }))).toContain('SUBJECT_PREFIX must be letters');
    expect(readConfig(commonSpec, {}).logLevel).toBe('info');
  });
});

describe('readSecrets', () => {
  const prod = { NODE_ENV: 'production', IM_API_KEY: strong('k'), IM_TOKEN_SECRET: strong('t') };

  it('falls back to the development values outside production, warning once per secret', () => {
    const warnings: string[] = [];
    const s = readSecrets({ NODE_ENV: 'development' }, {}, (m) => warnings.push(m));
    expect(s).toEqual({ apiKey: DEV_API_KEY, tokenSecret: DEV_TOKEN_SECRET, previousTokenSecrets: [] });
    expect(warnings).toHaveLength(2);
    expect(readSecrets({ IM_API_KEY: 'short', IM_TOKEN_SECRET: 'dev-token-secret-change-me' }).apiKey).toBe('short');
  });

  it('refuses an empty secret in every mode', () => {
    expect(refusal(() => readSecrets({ IM_API_KEY: '' }))).toContain('IM_API_KEY is empty');
    expect(refusal(() => readSecrets({ IM_TOKEN_SECRET: '  ' }))).toContain('IM_TOKEN_SECRET is empty');
    expect(refusal(() => readSecrets({ IM_TOKEN_SECRET_PREVIOUS: ' ' }))).toContain('IM_TOKEN_SECRET_PREVIOUS is empty');
    // Empty previous means no rotation under way: never a verifying key.
    expect(readSecrets({ IM_TOKEN_SECRET_PREVIOUS: '' }).previousTokenSecrets).toEqual([]);
  });

  it('in production refuses unset, published and short secrets, and one value for both', () => {
    expect(readSecrets(prod).apiKey).toBe(strong('k'));
    expect(refusal(() => readSecrets({ ...prod, IM_API_KEY: undefined }))).toContain('IM_API_KEY is unset');
    expect(refusal(() => readSecrets({ ...prod, IM_TOKEN_SECRET: DEV_TOKEN_SECRET }))).toContain('IM_TOKEN_SECRET is a published default');
    expect(refusal(() => readSecrets({ ...prod, IM_API_KEY: 'test-server-key' }))).toContain('IM_API_KEY is a published default');
    expect(refusal(() => readSecrets({ ...prod, IM_API_KEY: 'k'.repeat(31) }))).toContain('IM_API_KEY is shorter than 32 characters');
    expect(refusal(() => readSecrets({ ...prod, IM_TOKEN_SECRET_PREVIOUS: 'old' }))).toContain('IM_TOKEN_SECRET_PREVIOUS is shorter');
    expect(refusal(() => readSecrets({ ...prod, IM_TOKEN_SECRET: strong('k') }))).toContain('must differ');
  });

  it('keeps the previous token secret for verification', () => {
    expect(readSecrets({ ...prod, IM_TOKEN_SECRET_PREVIOUS: strong('p') }).previousTokenSecrets).toEqual([strong('p')]);
  });
});
