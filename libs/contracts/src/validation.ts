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

/**
 * Nesting deeper than this is refused: no message type needs it, and a deep enough document
 * makes `JSON.stringify` (which recurses) throw later, far from the edge.
 */
export const MAX_INPUT_DEPTH = 64;

/** A lone UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored or relayed as is, or null. Postgres refuses NUL in `text` and
 * `jsonb` (22021/22P05), and a lone surrogate has no UTF-8 form: either would fail far from
 * the edge (a 500, or an event no one can publish), so both are refused where input enters.
 */
export function unsafeStringReason(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'must not contain a lone UTF-16 surrogate';
  return null;
}

export interface InputIssue {
  path: string;
  message: string;
}

/**
 * Walks parsed input (JSON, query, path parameters) and names the first unsafe string, object
 * key or too-deep nesting. Iterative, so hostile nesting cannot overflow the stack here.
 */
export function findUnsafeInput(value: unknown, root: string): InputIssue | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const reason = unsafeStringReason(v);
      if (reason) return { path: path || '(root)', message: reason };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_INPUT_DEPTH) return { path: path || '(root)', message: `nested deeper than ${MAX_INPUT_DEPTH} levels` };
    for (const [key, child] of Object.entries(v)) {
      const childPath = path ? `${path}.${key}` : key;
      const keyReason = unsafeStringReason(key);
      // The key is named escaped, so the error JSON itself carries no NUL or lone surrogate.
      if (keyReason) return { path: `${path ? `${path}.` : ''}${JSON.stringify(key).slice(1, -1)}`, message: `key ${keyReason}` };
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return null;
}

/** The same walk as a 400 VALIDATION_FAILED that names the field, as `parseOrThrow` does. */
export function assertSafeInput(value: unknown, root: string): void {
  const issue = findUnsafeInput(value, root);
  if (issue) throw Errors.validation([issue], `Invalid ${issue.path}: ${issue.message}`);
}
