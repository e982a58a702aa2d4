import { Transaction, Kysely } from 'kysely';
import { ConversationRef } from '../messaging-view/access';
import { RedPacketState, RedPacketStatus } from './red-packet.decider';

export interface RedPacketRow extends RedPacketState {
  conversationId: string;
  greeting: string | null;
  createdAt: number;
  messageUId: string | null;
  version: number;
  refundedAmount: number;
}

/** Loads a packet; with `lock`, holds its row for the rest of the transaction. */
export async function loadPacket(db: Kysely<any> | Transaction<any>, id: string, lock = false): Promise<RedPacketRow | undefined> {
  const row = await db
    .selectFrom('red_packets')
    .selectAll()
    .where('red_packet_id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export function fromRow(r: Record<string, any>): RedPacketRow {
  return {
    id: r.red_packet_id,
    senderId: r.sender_id,
    conversationId: r.conversation_id,
    conversationType: r.conversation_type,
    targetId: r.target_id,
    mode: r.mode,
    currency: r.currency,
    totalAmount: Number(r.total_amount),
    count: r.count,
    remainingAmount: Number(r.remaining_amount),
    remainingCount: r.remaining_count,
    refundedAmount: Number(r.refunded_amount),
    receiverIds: r.receiver_ids,
    status: r.status as RedPacketStatus,
    expiresAt: Number(r.expires_at),
    greeting: r.greeting,
    createdAt: Number(r.created_at),
    messageUId: r.message_uid,
    version: r.version,
  };
}

/** The conversation a packet lives in, as the access rules see it (sender = the packet's sender). */
export function packetRef(p: RedPacketRow): ConversationRef {
  return { conversationType: p.conversationType, conversationId: p.conversationId, senderId: p.senderId, targetId: p.targetId, directedUserIds: null };
}

export async function claimsOf(db: Kysely<any>, id: string): Promise<Array<{ userId: string; amount: number; claimedAt: number }>> {
  const rows = await db
    .selectFrom('red_packet_claims')
    .select(['user_id', 'amount', 'claimed_at'])
    .where('red_packet_id', '=', id)
    .orderBy('claimed_at')
    .orderBy('user_id')
    .execute();
  return rows.map((r) => ({ userId: r.user_id, amount: Number(r.amount), claimedAt: Number(r.claimed_at) }));
}

/** The biggest share; the earlier claim wins a tie. */
export function bestLuckOf(claims: Array<{ userId: string; amount: number; claimedAt: number }>): { userId: string; amount: number } | undefined {
  const best = [...claims].sort((a, b) => b.amount - a.amount || a.claimedAt - b.claimedAt || a.userId.localeCompare(b.userId))[0];
  return best ? { userId: best.userId, amount: best.amount } : undefined;
}
