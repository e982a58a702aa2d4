import { MAX_PAGE_BYTES } from '@im/contracts';
import { decodeListCursor, encodeListCursor, pageOf } from './conversation-pages';

describe('conversation pages', () => {
  it('round-trips a list cursor and refuses one it did not make with a 400 naming cursor', () => {
    expect(decodeListCursor(encodeListCursor({ activity: 1_700_000_000_123, conversationId: '1:a:b' }))).toEqual({ activity: 1_700_000_000_123, conversationId: '1:a:b' });
    expect(decodeListCursor(undefined)).toBeNull();
    for (const bad of ['nope', Buffer.from('[1]').toString('base64url'), Buffer.from('["x","y"]').toString('base64url')]) {
      expect(() => decodeListCursor(bad)).toThrow(expect.objectContaining({ status: 400, details: [{ path: 'cursor', message: expect.any(String) }] }));
    }
  });

  it('cuts by count (the extra row says more follow) and by bytes, always keeping one item', () => {
    expect(pageOf([1, 2, 3], 2)).toEqual({ items: [1, 2], more: true });
    expect(pageOf([1, 2], 2)).toEqual({ items: [1, 2], more: false });
    const big = 'x'.repeat(200 * 1024);
    expect(pageOf([big, big, big, big], 10)).toEqual({ items: [big, big], more: true });
    const huge = 'y'.repeat(MAX_PAGE_BYTES + 1);
    expect(pageOf([huge, 'next'], 10)).toEqual({ items: [huge], more: true });
  });
});
