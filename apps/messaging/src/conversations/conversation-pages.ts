import { cutToBytes, Errors } from '@im/contracts';

/**
 * Pure rules of the two paged reads of the conversations projection. Both fetch `limit + 1`
 * rows (the extra one only says whether more follow) and cut the page short by bytes, so a reply
 * always fits in one NATS message whatever the size of the messages in it.
 */

/** Where the conversation list continues: after this activity time and conversation id. */
export interface ListPosition {
  activity: number;
  conversationId: string;
}

export function encodeListCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify([p.activity, p.conversationId]), 'utf8').toString('base64url');
}

export function decodeListCursor(cursor: string | undefined): ListPosition | null {
  if (cursor === undefined || cursor === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || !Number.isSafeInteger(parsed[0]) || typeof parsed[1] !== 'string') {
    throw Errors.validation([{ path: 'cursor', message: 'not a cursor from this endpoint' }], 'Invalid query: cursor');
  }
  return { activity: parsed[0], conversationId: parsed[1] };
}

/** A page of `limit + 1` rows, bounded by count and bytes; `more` when anything was left out. */
export function pageOf<T>(rows: T[], limit: number, budget?: number): { items: T[]; more: boolean } {
  const { items, cut } = cutToBytes(rows.slice(0, limit), budget);
  return { items, more: cut || rows.length > limit };
}
