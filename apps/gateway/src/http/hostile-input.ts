import { AppError, assertSafeInput, Errors } from '@im/contracts';

/**
 * The gateway's check of every string that enters, before any handler: body, query and path
 * parameters go through the one walker of the contracts (NUL, lone surrogates, hostile nesting),
 * and what never decodes to text at all (a lone surrogate sent as its raw UTF-8-like bytes, a
 * broken %-escape) is named here, since Fastify keeps such a query value undecoded and refuses
 * such a path before routing. Every refusal is a 400 VALIDATION_FAILED naming the field.
 */

const NOT_UTF8 = 'is not valid percent-encoded UTF-8 (a lone surrogate or a broken %-escape)';

export interface IncomingRequest {
  url: string;
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

export function assertSafeRequest(req: IncomingRequest): void {
  assertQueryDecodes(req.url);
  assertSafeInput(req.params, 'path');
  assertSafeInput(req.query, 'query');
  assertSafeInput(req.body, 'body');
}

function assertQueryDecodes(url: string): void {
  const q = url.indexOf('?');
  if (q < 0) return;
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const name = decoded(rawName.replace(/\+/g, ' '));
    if (name === null) throw invalid('query', NOT_UTF8);
    // Escaped, so the error JSON carries no NUL from the name; the walker refuses that next.
    if (eq >= 0 && decoded(pair.slice(eq + 1)) === null) throw invalid(`query.${JSON.stringify(name).slice(1, -1)}`, NOT_UTF8);
  }
}

/**
 * The 400 for a URL Fastify could not route because a path segment does not decode. The segment
 * is named by the route it would have matched (`path.targetId`), or `path` when none does.
 */
export function badUrlError(url: string, method: string, routes: Array<{ method: string; url: string }>): AppError {
  const segments = url.split('?')[0].split('/');
  const bad = segments.findIndex((s) => decoded(s) === null);
  const route = routes.find((r) => r.method === method && matches(r.url.split('/'), segments));
  const param = route?.url.split('/')[bad];
  return invalid(param?.startsWith(':') ? `path.${param.slice(1)}` : 'path', NOT_UTF8);
}

/** Same length, and every static segment equal: the route the raw path was meant for. */
function matches(pattern: string[], segments: string[]): boolean {
  return pattern.length === segments.length && pattern.every((p, i) => p.startsWith(':') || p === segments[i]);
}

function decoded(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function invalid(path: string, message: string): AppError {
  return Errors.validation([{ path, message }], `Invalid ${path}: ${message}`);
}
