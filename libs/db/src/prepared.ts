import { createHash } from 'node:crypto';
import { Client } from 'pg';

/**
 * A statement whose text begins with this marker, e.g. `/* prepared:send_batch *\/ WITH ...`,
 * runs as a named prepared statement: each connection parses and plans it once, then binds and
 * executes. For the hot path's fixed-text statements (a batch as one JSON or array parameter),
 * parse and plan were a third of Postgres' time per statement (pg_stat_statements with
 * track_planning: 0.066 of 0.2 ms per message). Only fixed texts may carry it: every distinct
 * text is one more statement kept by every connection.
 */
export const PREPARED_MARKER = '/* prepared:';

const names = new Map<string, string>();

/** The statement name for a marked text (label and a hash of the text: one text, one name), else null. */
export function preparedName(text: string): string | null {
  // Unmarked texts first, without hashing them into the map (every statement passes here).
  if (!text.startsWith(PREPARED_MARKER)) return null;
  let name = names.get(text);
  if (name !== undefined) return name;
  const label = text.slice(PREPARED_MARKER.length, text.indexOf('*/')).trim();
  name = `${label}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
  if (names.size < 10_000) names.set(text, name);
  return name;
}

/** A pg client that runs marked statements as named prepared statements, and the rest as before. */
export class PreparingClient extends Client {
  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && (Array.isArray(values) || values === undefined)) {
      const name = preparedName(text);
      if (name) return (super.query as (...a: unknown[]) => never)({ name, text, values }, callback);
    }
    return (super.query as (...a: unknown[]) => never)(...args);
  }
}
