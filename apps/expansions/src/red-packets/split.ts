/**
 * Share amounts, in minor units. Random packets use the double-mean split: each share is at
 * least 1 and at most twice the mean of what remains (and leaves at least 1 for every share
 * still to come); the last share takes the rest. `random` returns a float in [0, 1).
 */
export function randomShare(remainingAmount: number, remainingCount: number, random: () => number): number {
  if (remainingCount <= 0 || remainingAmount < remainingCount) throw new RangeError('nothing left to share');
  if (remainingCount === 1) return remainingAmount;
  const max = Math.min(Math.floor((2 * remainingAmount) / remainingCount), remainingAmount - (remainingCount - 1));
  return Math.min(max, 1 + Math.floor(random() * max));
}

export function fixedShare(totalAmount: number, count: number): number {
  return totalAmount / count;
}

export function nextShare(
  mode: 'random' | 'fixed',
  p: { totalAmount: number; count: number; remainingAmount: number; remainingCount: number },
  random: () => number,
): number {
  return mode === 'fixed' ? fixedShare(p.totalAmount, p.count) : randomShare(p.remainingAmount, p.remainingCount, random);
}
