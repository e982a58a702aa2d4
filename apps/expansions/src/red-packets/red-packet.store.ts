import { appendToStream } from '@im/eventstore';
import { Kysely, Selectable, Transaction } from 'kysely';
import { ConversationRef } from '../messaging-view/access';
import {
  Claim,
  decide,
  DecideContext,
  evolve,
  initialState,
  PacketConversationType,
  RedPacket,
  RedPacketCommand,
  RedPacketEvent,
  RedPacketState,
} from './red-packet.decider';
import type { DB, RedPacketClaimsTable, RedPacketsTable } from '../db.generated';

/**
 * The one way a red packet changes: `execute` locks its row, loads the state, lets the decider
 * decide, and `writeEvents` appends the events and writes the rows that follow from them. The
 * row is the state after the events (`rowOf`), so it cannot say what the events do not.
 */
export async function execute(
  trx: Transaction<DB>,
  redPacketId: string,
  command: RedPacketCommand,
  ctx: DecideContext,
  /** Runs under the lock before anything is decided or written (the claim admission's deadline). */
  beforeDecide?: () => void,
): Promise<{ state: RedPacketState; events: RedPacketEvent[] }> {
  const state = await loadState(trx, redPacketId, command.type === 'claim' ? command.userId : null);
  beforeDecide?.();
  const events = decide(command, state, ctx);
  return { state: (await writeEvents(trx, state, events, ctx.now)) ?? state, events };
}

/**
 * The state a command needs, its row held for the rest of the transaction: the packet, the
 * claimer's own claim, and, when one share is left, the claims tied for the biggest share so far
 * (the last claim names the best luck). Loading every claim would cost each of 10,000 claims.
 */
export async function loadState(trx: Transaction<DB>, id: string, claimer: string | null): Promise<RedPacketState> {
  const row = await trx.selectFrom('red_packets').selectAll().where('red_packet_id', '=', id).forUpdate().executeTakeFirst();
  if (!row) return initialState();
  const packet = fromRow(row);
  const last = packet.remainingCount === 1;
  if (!claimer && !last) return { packet, claims: new Map(), version: row.version };
  const rows = await trx
    .selectFrom('red_packet_claims')
    .select(['user_id', 'amount', 'claimed_at'])
    .where('red_packet_id', '=', id)
    .where((eb) => {
      const top = eb
        .selectFrom('red_packet_claims')
        .select((m) => m.fn.max('amount').as('amount'))
        .where('red_packet_id', '=', id);
      return eb.or([...(claimer ? [eb('user_id', '=', claimer)] : []), ...(last ? [eb('amount', '=', top)] : [])]);
    })
    .execute();
  return { packet, claims: new Map(rows.map((r) => [r.user_id, claimOf(r)])), version: row.version };
}

/**
 * Appends the events and writes what follows from them: the packet's row (inserted on creation,
 * unless its payment already made one: then null and nothing is written) and a row per claim,
 * whose key (packet, user) holds "once per user" in Postgres too.
 */
export async function writeEvents(
  trx: Transaction<DB>,
  before: RedPacketState,
  events: RedPacketEvent[],
  now: number,
): Promise<RedPacketState | null> {
  if (events.length === 0) return before;
  const after = events.reduce(evolve, before);
  const row = rowOf(after.packet!, after.version);
  if (!before.packet) {
    const inserted = await trx
      .insertInto('red_packets')
      .values({ ...row, created_at: now })
      .onConflict((oc) => oc.column('payment_key').doNothing())
      .returning('red_packet_id')
      .executeTakeFirst();
    if (!inserted) return null;
  } else {
    const { remaining_amount, remaining_count, refunded_amount, status, message_uid, version } = row;
    const changing = { remaining_amount, remaining_count, refunded_amount, status, message_uid, version };
    await trx.updateTable('red_packets').set(changing).where('red_packet_id', '=', row.red_packet_id).execute();
  }
  for (const e of events) {
    if (e.type !== 'redpacket.claimed') continue;
    const { redPacketId, userId, amount, claimedAt } = e.data;
    await trx
      .insertInto('red_packet_claims')
      .values({ red_packet_id: redPacketId, user_id: userId, amount, claimed_at: claimedAt })
      .execute();
  }
  await appendToStream(trx, `redpacket-${row.red_packet_id}`, before.version, events, new Date(now));
  return after;
}

/** The packet's row, all of it from the state. */
export function rowOf(p: RedPacket, version: number) {
  return {
    red_packet_id: p.id,
    payment_key: p.paymentId === null ? null : `${p.senderId}:${p.paymentId}`,
    sender_id: p.senderId,
    conversation_id: p.conversationId,
    conversation_type: p.conversationType,
    target_id: p.targetId,
    mode: p.mode,
    currency: p.currency,
    total_amount: p.totalAmount,
    count: p.count,
    remaining_amount: p.remainingAmount,
    remaining_count: p.remainingCount,
    refunded_amount: p.refundedAmount,
    greeting: p.greeting,
    receiver_ids: p.receiverIds,
    status: p.status,
    expires_at: p.expiresAt,
    message_uid: p.messageUId,
    version,
  };
}

export function fromRow(r: Selectable<RedPacketsTable>): RedPacket {
  return {
    id: r.red_packet_id,
    senderId: r.sender_id,
    conversationId: r.conversation_id,
    conversationType: r.conversation_type as PacketConversationType,
    targetId: r.target_id,
    mode: r.mode,
    currency: r.currency,
    totalAmount: r.total_amount,
    count: r.count,
    remainingAmount: r.remaining_amount,
    remainingCount: r.remaining_count,
    refundedAmount: r.refunded_amount,
    receiverIds: r.receiver_ids,
    greeting: r.greeting,
    status: r.status,
    expiresAt: r.expires_at,
    messageUId: r.message_uid,
    paymentId: r.payment_key === null ? null : r.payment_key.slice(r.sender_id.length + 1),
  };
}

/** Reads a packet without locking it (what a reader sees, or a check made before the lock). */
export async function readPacket(db: Kysely<DB>, id: string): Promise<RedPacket | undefined> {
  const row = await db.selectFrom('red_packets').selectAll().where('red_packet_id', '=', id).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function findByPayment(db: Kysely<DB>, senderId: string, paymentId: string): Promise<RedPacket | undefined> {
  const row = await db.selectFrom('red_packets').selectAll().where('payment_key', '=', `${senderId}:${paymentId}`).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export async function claimsOf(db: Kysely<DB>, id: string): Promise<Claim[]> {
  const rows = await db
    .selectFrom('red_packet_claims')
    .select(['user_id', 'amount', 'claimed_at'])
    .where('red_packet_id', '=', id)
    .orderBy('claimed_at')
    .orderBy('user_id')
    .execute();
  return rows.map(claimOf);
}

function claimOf(r: Pick<Selectable<RedPacketClaimsTable>, 'user_id' | 'amount' | 'claimed_at'>): Claim {
  return { userId: r.user_id, amount: r.amount, claimedAt: r.claimed_at };
}

/** The conversation a packet lives in, as the access rules see it (sender = the packet's sender). */
export function packetRef(p: RedPacket): ConversationRef {
  return {
    conversationType: p.conversationType,
    conversationId: p.conversationId,
    senderId: p.senderId,
    targetId: p.targetId,
    directedUserIds: null,
  };
}
