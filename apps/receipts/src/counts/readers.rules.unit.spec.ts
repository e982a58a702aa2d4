import { decodeCursor, encodeCursor, page } from './readers.rules';

describe('readers pages', () => {
  it('round-trips a cursor and starts from the beginning without one', () => {
    expect(decodeCursor(encodeCursor('user.with@odd=chars'))).toBe('user.with@odd=chars');
    expect(decodeCursor(undefined)).toBe('');
    expect(decodeCursor('')).toBe('');
  });

  it('refuses a cursor it did not make with a 400', () => {
    expect(() => decodeCursor('zzz')).toThrow(expect.objectContaining({ status: 400, code: 'VALIDATION_FAILED' }));
  });

  it('pages by the extra row: a cursor after the last member shown while more follow', () => {
    const rows = ['a', 'b', 'c'].map((userId) => ({ userId }));
    const first = page(rows, 2);
    expect(first).toEqual({ members: [{ userId: 'a' }, { userId: 'b' }], nextCursor: encodeCursor('b'), isFinished: false });
    expect(page(rows, 3)).toEqual({ members: rows, nextCursor: null, isFinished: true });
    expect(page([], 5)).toEqual({ members: [], nextCursor: null, isFinished: true });
  });
});
