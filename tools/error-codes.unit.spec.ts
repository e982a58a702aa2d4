import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AppError, ERROR_CODES, Errors } from '@im/contracts';

const ROOT = join(__dirname, '..');

/** The source files of the apps and libs (not tests; not the generated client, which only repeats the codes). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'client' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.includes('.spec.') ? [path] : [];
  });
}

const files = [...sources(join(ROOT, 'apps')), ...sources(join(ROOT, 'libs'))].filter((f) => f.includes('/src/'));
const registry = join(ROOT, 'libs/contracts/src/errors.ts');
/** Each file's text; the registry's own entries left out, so that a code is found only where it is used. */
const texts = new Map(files.map((f) => [f, f === registry ? readFileSync(f, 'utf8').split('export class AppError')[1] : readFileSync(f, 'utf8')]));

/** Where a code is given to an error: `new AppError('X'`, `errorBody('X'`, `Errors.any(... 'X'`. */
const RAISED = /(?:new AppError|errorBody|Errors\.\w+)\(([^()]|\([^()]*\))*?'([A-Z][A-Z0-9_]+)'/g;

describe('the error code registry (libs/contracts/src/errors.ts)', () => {
  it('has every code the source raises', () => {
    const raised = new Map<string, string>();
    for (const [file, text] of texts) for (const m of text.matchAll(RAISED)) raised.set(m[2], relative(ROOT, file));
    expect(raised.size).toBeGreaterThan(30);
    const unknown = [...raised].filter(([code]) => !(code in ERROR_CODES));
    expect(unknown).toEqual([]);
  });

  it('has no code that nothing raises or maps (each one is promised in the OpenAPI document)', () => {
    const unused = Object.keys(ERROR_CODES).filter((code) => ![...texts.values()].some((t) => t.includes(`'${code}'`)));
    expect(unused).toEqual([]);
  });

  it('gives each code an error status and a meaning', () => {
    for (const [code, { status, description }] of Object.entries(ERROR_CODES)) {
      expect({ code, error: status >= 400 && status < 600, described: description.length > 10 }).toEqual({ code, error: true, described: true });
    }
  });

  it('takes the status of an error from its code', () => {
    expect(new AppError('RED_PACKET_EXPIRED', 'gone').status).toBe(410);
    expect(Errors.conflict('ALREADY_CLAIMED', 'again').toBody()).toMatchObject({ code: 'ALREADY_CLAIMED', status: 409 });
    // @ts-expect-error an unknown code does not compile (and has no status to take at run time)
    expect(() => new AppError('NO_SUCH_CODE', 'x')).toThrow(TypeError);
  });

  it('keeps the code and status of an answer from a newer peer it does not know', () => {
    const e = AppError.fromBody({ code: 'FROM_THE_FUTURE', status: 422, message: 'new' });
    expect([e.code, e.status, e.message]).toEqual(['FROM_THE_FUTURE', 422, 'new']);
  });
});
