import { covers, fixedMemberCount, memberAt, membersAtSend } from './membership.rules';

describe('membership by seq', () => {
  it('covers the messages after the join, up to and including the last before leaving', () => {
    const i = { joinedSeq: 3, leftSeq: 7 };
    expect([3, 4, 7, 8].map((s) => covers(i, s))).toEqual([false, true, true, false]);
    expect(covers({ joinedSeq: 0, leftSeq: null }, 1_000_000)).toBe(true);
  });

  it('leaves the gap between leaving and rejoining out', () => {
    const intervals = [{ joinedSeq: 0, leftSeq: 4 }, { joinedSeq: 9, leftSeq: null }];
    expect([4, 5, 9, 10].map((s) => memberAt(intervals, s))).toEqual([true, false, false, true]);
    expect(memberAt([], 1)).toBe(false);
  });

  it('counts whom a message was for, its sender excluded', () => {
    expect(membersAtSend(3, undefined, { members: 5, senderIsMember: true })).toBe(4);
    expect(membersAtSend(3, ['bob', 'carol'], { members: 5, senderIsMember: true })).toBe(2);
    expect(membersAtSend(3, undefined, null)).toBe(0);
    expect(membersAtSend(1, undefined, null)).toBe(1);
    expect(membersAtSend(6, undefined, null)).toBe(1);
  });

  it('leaves only a shared group message to be counted from the group', () => {
    expect(fixedMemberCount(3, undefined)).toBeNull();
    expect(fixedMemberCount(3, ['bob', 'carol'])).toBe(2);
    expect(fixedMemberCount(1, undefined)).toBe(1);
    expect(fixedMemberCount(6, undefined)).toBe(1);
  });
});
