import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ERROR_CODES } from './error-codes';
import { OPERATIONS } from './operations';

const ROOT = resolve(__dirname, '../../../..');

/** Every non-test source file of the apps and libs. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The codes the code throws, with their status: `new AppError('CODE', 409, ...)`, `Errors.conflict('CODE', ...)`, `Errors.unprocessable('CODE', ...)`. */
function thrownCodes(): Map<string, number> {
  const found = new Map<string, number>();
  for (const file of [...sources(join(ROOT, 'apps')), ...sources(join(ROOT, 'libs'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new AppError\(\s*'([A-Z_]+)',\s*(\d{3})/g)) found.set(m[1], Number(m[2]));
    for (const m of text.matchAll(/Errors\.conflict\(\s*'([A-Z_]+)'/g)) found.set(m[1], 409);
    for (const m of text.matchAll(/Errors\.unprocessable\(\s*'([A-Z_]+)'/g)) found.set(m[1], 422);
  }
  return found;
}

describe('error codes in the OpenAPI document', () => {
  it('describes every code the services and the gateway throw, with its status', () => {
    const thrown = thrownCodes();
    expect(thrown.size).toBeGreaterThan(30);
    const described = Object.fromEntries([...thrown].map(([code]) => [code, ERROR_CODES[code as keyof typeof ERROR_CODES]?.status]));
    expect(described).toEqual(Object.fromEntries(thrown));
  });

  it('lists every described code on at least one operation', () => {
    const listed = new Set(OPERATIONS.flatMap((op) => op.errors));
    // Added by the document to every authenticated call or every write.
    for (const code of ['RATE_LIMITED', 'IDEMPOTENCY_KEY_IN_FLIGHT', 'IDEMPOTENCY_KEY_REUSED']) listed.add(code as never);
    expect(Object.keys(ERROR_CODES).filter((c) => !listed.has(c as never))).toEqual([]);
  });
});
