import { z } from 'zod';
import { AppError, Errors } from './errors';

/** The field-level details of a zod failure, in the error JSON's `details`. */
export function issuesOf(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** Parse at an edge: a failure is a 400 that names every offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  // A scalar (a path parameter) has no inner path: name it by what it is.
  const issues = issuesOf(parsed.error).map((i) => (i.path === '(root)' ? { ...i, path: what } : i));
  const fields = issues.map((i) => i.path).join(', ');
  throw Errors.validation(issues, `Invalid ${what}: ${fields}`);
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
