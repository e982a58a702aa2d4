import { groupReaders, listedReaders, mergeRanges, peerReader, positionsAtOrPast, sameCounts } from './counting.rules';

describe('counting readers', () => {
  describe('positionsAtOrPast', () => {
    const atOrPast = positionsAtOrPast([
      { rpos: 7, n: 2 },
      { rpos: 3, n: 1 },
      { rpos: 10, n: 4 },
    ]);

    it('counts the positions at or past each seq from one histogram', () => {
      expect([1, 3, 4, 7, 8, 10, 11].map(atOrPast)).toEqual([7, 7, 6, 6, 4, 4, 0]);
    });

    it('is zero when nobody has a position', () => {
      expect(positionsAtOrPast([])(1)).toBe(0);
    });
  });

  describe('groupReaders', () => {
    const m = { seq: 5, senderId: 'alice', memberCount: 4 };

    it('adds uncovered receipts to the positions at or past the message', () => {
      expect(groupReaders(m, () => 1, new Map(), 0, 2)).toEqual({ readCount: 3, unreadCount: 1, peerReadAt: null });
    });

    it('leaves out the sender and users who joined after the message', () => {
      const candidates = new Map([
        ['late', { rpos: 9, intervals: [{ joinedSeq: 6, leftSeq: null }] }],
        ['rejoined', { rpos: 9, intervals: [{ joinedSeq: 0, leftSeq: 8 }, { joinedSeq: 8, leftSeq: null }] }],
        ['behind', { rpos: 4, intervals: [{ joinedSeq: 5, leftSeq: null }] }],
      ]);
      // Positions at or past 5: alice (sender), late, rejoined (a member at 5), bob.
      expect(groupReaders(m, () => 4, candidates, 9, 0)).toMatchObject({ readCount: 2, unreadCount: 2 });
    });

    it('never reports more readers than members, nor fewer than none', () => {
      expect(groupReaders(m, () => 9, new Map(), 0, 3)).toMatchObject({ readCount: 4, unreadCount: 0 });
      expect(groupReaders(m, () => 0, new Map(), 7, 0)).toMatchObject({ readCount: 0, unreadCount: 4 });
    });
  });

  it('counts the directed users whose position reached the message, plus receipts', () => {
    expect(listedReaders({ seq: 5, memberCount: 3 }, [5, 4, 0], 1)).toEqual({ readCount: 2, unreadCount: 1, peerReadAt: null });
  });

  describe('peerReader', () => {
    it('is read with the time of the receipt, or of the reported position that reached it', () => {
      expect(peerReader({ seq: 3 }, { rpos: 3, reportedAt: 1000 }, null)).toEqual({ readCount: 1, unreadCount: 0, peerReadAt: 1000 });
      expect(peerReader({ seq: 3 }, { rpos: 1, reportedAt: 1000 }, 900)).toEqual({ readCount: 1, unreadCount: 0, peerReadAt: 900 });
    });

    it('is unread while the position is behind and there is no receipt', () => {
      expect(peerReader({ seq: 3 }, { rpos: 2, reportedAt: 1000 }, null)).toEqual({ readCount: 0, unreadCount: 1, peerReadAt: null });
      expect(peerReader({ seq: 3 }, undefined, null).readCount).toBe(0);
    });
  });

  describe('mergeRanges', () => {
    it('merges overlapping and touching ranges per conversation, and drops empty ones', () => {
      const merged = mergeRanges([
        { conversationId: 'a', from: 4, to: 9 },
        { conversationId: 'a', from: 0, to: 5 },
        { conversationId: 'b', from: 2, to: 3 },
        { conversationId: 'a', from: 9, to: 12 },
        { conversationId: 'a', from: 20, to: 21 },
        { conversationId: 'c', from: 5, to: 5 },
      ]);
      expect(merged).toEqual(
        new Map([
          ['a', [[0, 12], [20, 21]]],
          ['b', [[2, 3]]],
        ]),
      );
    });

    it('turns a thousand readers reaching the same message into one range', () => {
      const changes = Array.from({ length: 1000 }, (_, i) => ({ conversationId: 'g', from: i % 7, to: 40 }));
      expect(mergeRanges(changes).get('g')).toEqual([[0, 40]]);
    });
  });

  it('tells a change of counts from none', () => {
    const c = { readCount: 1, unreadCount: 2, peerReadAt: null };
    expect(sameCounts(c, { ...c })).toBe(true);
    expect(sameCounts(c, { ...c, readCount: 2 })).toBe(false);
    expect(sameCounts(c, undefined)).toBe(false);
  });
});
