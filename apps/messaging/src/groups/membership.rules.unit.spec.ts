import { membershipDiff } from './membership.rules';

describe('membershipDiff', () => {
  it('adds the new, removes the missing, keeps the rest', () => {
    expect(membershipDiff(['a', 'b', 'c'], ['b', 'c', 'd'])).toEqual({ added: ['d'], removed: ['a'] });
  });
  it('ignores duplicates in the wanted list', () => {
    expect(membershipDiff([], ['a', 'a'])).toEqual({ added: ['a'], removed: [] });
  });
});
