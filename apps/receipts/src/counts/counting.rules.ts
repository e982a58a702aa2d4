import { Interval, memberAt } from '../view/membership.rules';

/**
 * Pure arithmetic of a message's readers. A member has read a message at seq s when their
 * reported position is at or past s, or they sent a receipt for it (counted only while their
 * position is behind it, so nobody counts twice).
 */

export interface Counted {
  readCount: number;
  unreadCount: number;
  /** Private: when the peer read it, or null. */
  peerReadAt: number | null;
}

/**
 * How many reported positions are at or past a seq, from a histogram (position -> readers there)
 * of one conversation: sorted once, then each question is a binary search.
 */
export function positionsAtOrPast(histogram: ReadonlyArray<{ rpos: number; n: number }>): (seq: number) => number {
  const sorted = [...histogram].sort((a, b) => a.rpos - b.rpos);
  const suffix = new Array<number>(sorted.length + 1).fill(0);
  for (let i = sorted.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + sorted[i].n;
  return (seq) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].rpos < seq) lo = mid + 1;
      else hi = mid;
    }
    return suffix[lo];
  };
}

/** A user whose position is counted by the range but may not have been a member at the message's seq. */
export interface Candidate {
  rpos: number;
  intervals: Interval[];
}

/**
 * Readers of a group message: the positions at or past its seq, less those of users who were not
 * members when it was sent (they joined later; only users with an interval starting at or after
 * the message can be such), less its sender, plus the receipts not covered by a position.
 */
export function groupReaders(
  m: { seq: number; senderId: string; memberCount: number },
  atOrPast: (seq: number) => number,
  candidates: ReadonlyMap<string, Candidate>,
  senderRpos: number,
  uncoveredReceipts: number,
): Counted {
  let outsiders = senderRpos >= m.seq ? 1 : 0;
  for (const [userId, c] of candidates) {
    if (userId !== m.senderId && c.rpos >= m.seq && !memberAt(c.intervals, m.seq)) outsiders++;
  }
  return bounded(atOrPast(m.seq) - outsiders + uncoveredReceipts, m.memberCount);
}

/** Readers of a message for a known list of users (directed users): positions plus uncovered receipts. */
export function listedReaders(m: { seq: number; memberCount: number }, rpos: readonly number[], uncoveredReceipts: number): Counted {
  return bounded(rpos.filter((p) => p >= m.seq).length + uncoveredReceipts, m.memberCount);
}

/** The peer of a private message: read by receipt (its time) or by position (when it was reported). */
export function peerReader(m: { seq: number }, peer: { rpos: number; reportedAt: number | null } | undefined, receiptAt: number | null): Counted {
  const byPosition = peer && peer.rpos >= m.seq ? peer.reportedAt : null;
  const at = receiptAt ?? byPosition;
  return { readCount: at !== null ? 1 : 0, unreadCount: at !== null ? 0 : 1, peerReadAt: at };
}

function bounded(read: number, members: number): Counted {
  const readCount = Math.max(0, Math.min(read, members));
  return { readCount, unreadCount: members - readCount, peerReadAt: null };
}

/**
 * Merges (from, to] ranges per conversation so the flusher looks at each message once per flush:
 * a thousand readers reaching the same latest message are one range.
 */
export function mergeRanges(changes: ReadonlyArray<{ conversationId: string; from: number; to: number }>): Map<string, Array<[number, number]>> {
  const byConversation = new Map<string, Array<[number, number]>>();
  for (const c of changes) {
    if (c.to <= c.from) continue;
    const list = byConversation.get(c.conversationId) ?? [];
    list.push([c.from, c.to]);
    byConversation.set(c.conversationId, list);
  }
  for (const [id, list] of byConversation) {
    list.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [from, to] of list) {
      const last = merged[merged.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    byConversation.set(id, merged);
  }
  return byConversation;
}

/** Whether the counts told to the sender changed. */
export function sameCounts(a: Counted, b: Counted | undefined): boolean {
  return !!b && a.readCount === b.readCount && a.unreadCount === b.unreadCount && a.peerReadAt === b.peerReadAt;
}
