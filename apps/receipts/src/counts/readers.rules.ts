import { Errors } from '@im/contracts';

/** Pure rules of the readers list: an opaque, stable cursor (the last user id of the page). */

export function encodeCursor(lastUserId: string): string {
  return Buffer.from(`u:${lastUserId}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined || cursor === '') return '';
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('u:') || text.length < 3) {
    throw Errors.validation([{ path: 'cursor', message: 'not a cursor from this endpoint' }], 'Invalid query: cursor');
  }
  return text.slice(2);
}

/** A page from `limit + 1` rows ordered by user id: the extra row only says whether more follow. */
export function page<T extends { userId: string }>(rows: T[], limit: number): { members: T[]; nextCursor: string | null; isFinished: boolean } {
  const members = rows.slice(0, limit);
  const isFinished = rows.length <= limit;
  return { members, nextCursor: isFinished ? null : encodeCursor(members[members.length - 1].userId), isFinished };
}
