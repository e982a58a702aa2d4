import { ConversationType, ReceiptSummary } from '@im/contracts';
import { Kysely, sql } from 'kysely';
import { ReceiptMessage } from '../view/receipt-messages';
import { groupSorted } from '../receipts/receipt.rules';
import { Candidate, Counted, groupReaders, listedReaders, peerReader, positionsAtOrPast } from './counting.rules';
import type { DB } from '../db.generated';

/**
 * Counts the readers of messages from positions and receipts. Per conversation it reads one
 * index range of positions (as a histogram, however many messages are asked about), the few
 * users who joined after the oldest of them, and the uncovered receipts: never a scan of members.
 */
export async function countReaders(db: Kysely<DB>, messages: readonly ReceiptMessage[]): Promise<Map<string, Counted>> {
  const out = new Map<string, Counted>();
  const uncovered = await uncoveredReceipts(db, messages.map((m) => m.messageUId));
  for (const [conversationId, group] of groupSorted(messages, (m) => m.conversationId)) {
    const shared = group.filter((m) => m.conversationType === ConversationType.GROUP && !m.directedUserIds);
    const listed = group.filter((m) => m.conversationType === ConversationType.GROUP && m.directedUserIds);
    const peer = group.filter((m) => m.conversationType !== ConversationType.GROUP);
    if (shared.length > 0) await countShared(db, conversationId, shared, uncovered, out);
    if (listed.length > 0) await countListed(db, conversationId, listed, uncovered, out);
    if (peer.length > 0) await countPeer(db, conversationId, peer, out);
  }
  return out;
}

export function summary(m: ReceiptMessage, c: Counted): ReceiptSummary {
  const base = { messageUId: m.messageUId, conversationType: m.conversationType, targetId: m.targetId };
  return m.conversationType === ConversationType.GROUP
    ? { ...base, readCount: c.readCount, unreadCount: c.unreadCount }
    : { ...base, isPeerRead: c.readCount > 0, timestamp: c.peerReadAt };
}

async function uncoveredReceipts(db: Kysely<DB>, uids: string[]): Promise<Map<string, number>> {
  const { rows } = await sql<{ message_uid: string; n: number }>`
    SELECT message_uid, count(*)::int AS n FROM uncovered_receipts
     WHERE message_uid = ANY(${uids}::text[]) GROUP BY message_uid`.execute(db);
  return new Map(rows.map((r) => [r.message_uid, r.n]));
}

async function countShared(db: Kysely<DB>, conversationId: string, messages: ReceiptMessage[], uncovered: Map<string, number>, out: Map<string, Counted>): Promise<void> {
  const groupId = messages[0].targetId;
  const minSeq = Math.min(...messages.map((m) => m.seq));
  const senders = [...new Set(messages.map((m) => m.senderId))];
  const histogram = await sql<{ rpos: number; n: number }>`
    SELECT rpos, count(*)::int AS n FROM read_positions
     WHERE conversation_id = ${conversationId} AND rpos >= ${minSeq} GROUP BY rpos`.execute(db);
  const late = await sql<{ user_id: string; joined_seq: number; left_seq: number | null; rpos: number }>`
    SELECT g.user_id, g.joined_seq, g.left_seq, p.rpos
      FROM read_positions p JOIN group_members g ON g.group_id = ${groupId} AND g.user_id = p.user_id
     WHERE p.conversation_id = ${conversationId} AND p.rpos >= ${minSeq}
       AND p.user_id IN (SELECT user_id FROM group_members WHERE group_id = ${groupId} AND joined_seq >= ${minSeq})`.execute(db);
  const candidates = new Map<string, Candidate>();
  for (const r of late.rows) {
    const c = candidates.get(r.user_id) ?? { rpos: r.rpos, intervals: [] };
    c.intervals.push({ joinedSeq: r.joined_seq, leftSeq: r.left_seq });
    candidates.set(r.user_id, c);
  }
  const senderPositions = await positionsOf(db, conversationId, senders);
  const atOrPast = positionsAtOrPast(histogram.rows);
  for (const m of messages) {
    out.set(m.messageUId, groupReaders(m, atOrPast, candidates, senderPositions.get(m.senderId)?.rpos ?? 0, uncovered.get(m.messageUId) ?? 0));
  }
}

async function countListed(db: Kysely<DB>, conversationId: string, messages: ReceiptMessage[], uncovered: Map<string, number>, out: Map<string, Counted>): Promise<void> {
  const users = [...new Set(messages.flatMap((m) => m.directedUserIds ?? []))];
  const positions = await positionsOf(db, conversationId, users);
  for (const m of messages) {
    const rpos = (m.directedUserIds ?? []).map((u) => positions.get(u)?.rpos ?? 0);
    out.set(m.messageUId, listedReaders(m, rpos, uncovered.get(m.messageUId) ?? 0));
  }
}

async function countPeer(db: Kysely<DB>, conversationId: string, messages: ReceiptMessage[], out: Map<string, Counted>): Promise<void> {
  const positions = await positionsOf(db, conversationId, [...new Set(messages.map((m) => m.targetId))]);
  const receipts = await db
    .selectFrom('message_receipts')
    .select(['message_uid', 'read_at'])
    .where('message_uid', 'in', messages.map((m) => m.messageUId))
    .execute();
  const receiptAt = new Map(receipts.map((r) => [r.message_uid, r.read_at]));
  for (const m of messages) out.set(m.messageUId, peerReader(m, positions.get(m.targetId), receiptAt.get(m.messageUId) ?? null));
}

async function positionsOf(db: Kysely<DB>, conversationId: string, userIds: string[]): Promise<Map<string, { rpos: number; reportedAt: number | null }>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('read_positions')
    .select(['user_id', 'rpos', 'reported_at'])
    .where('conversation_id', '=', conversationId)
    .where('user_id', 'in', userIds)
    .execute();
  return new Map(rows.map((r) => [r.user_id, { rpos: r.rpos, reportedAt: r.reported_at }]));
}
