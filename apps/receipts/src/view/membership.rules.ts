import { ConversationType } from '@im/contracts';

/** Pure rules of who a message is for. */

/** A membership interval: a member of the messages with joinedSeq < seq <= leftSeq (null: still in). */
export interface Interval {
  joinedSeq: number;
  leftSeq: number | null;
}

export function covers(interval: Interval, seq: number): boolean {
  return interval.joinedSeq < seq && (interval.leftSeq === null || interval.leftSeq >= seq);
}

export function memberAt(intervals: readonly Interval[], seq: number): boolean {
  return intervals.some((i) => covers(i, seq));
}

/**
 * How many a message is for, its sender excluded: a group's members when it was sent, its
 * directed users, or the one peer of a private or system conversation.
 */
export function membersAtSend(
  type: number,
  directedUserIds: readonly string[] | undefined,
  group: { members: number; senderIsMember: boolean } | null,
): number {
  if (directedUserIds) return directedUserIds.length;
  if (type === ConversationType.GROUP) return group ? Math.max(0, group.members - (group.senderIsMember ? 1 : 0)) : 0;
  return 1;
}

/**
 * How many a message is for when that does not depend on the group's members (directed, private,
 * system), or null for a shared group message: the projection counts those in SQL from the
 * group's count, as `membersAtSend` does.
 */
export function fixedMemberCount(type: number, directedUserIds: readonly string[] | undefined): number | null {
  if (type === ConversationType.GROUP && !directedUserIds) return null;
  return membersAtSend(type, directedUserIds, null);
}
