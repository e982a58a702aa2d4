import { Errors } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { Logger } from '@nestjs/common';
import { Kysely, QueryCreator, Selectable, sql, Transaction } from 'kysely';
import { leftOut } from '../expansions/expansion.decider';
import { changeExpansion } from '../expansions/expansion.store';
import { ConversationRef, visibleAmong } from '../messaging-view/access';
import { ClaimDeadline } from './claim-admission';
import {
  Claim,
  ClaimOutcome,
  decide,
  decideClaims,
  DecideContext,
  evolve,
  initialState,
  packetExpansion,
  PacketConversationType,
  RedPacket,
  RedPacketCommand,
  RedPacketEvent,
  RedPacketState,
} from './red-packet.decider';
import type { DB, RedPacketClaimsTable, RedPacketsTable } from '../db.generated';

const logger = new Logger('packet-expansions');

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
): Promise<{ state: RedPacketState; events: RedPacketEvent[] }> {
  const state = await loadState(trx, redPacketId, command.type === 'claim' ? [command.userId] : []);
  const events = decide(command, state, ctx);
  return { state: (await writeEvents(trx, state, events, ctx.now)) ?? state, events };
}

/** A claim waiting for its packet's next transaction; `deadline` is the admission's (claim-admission.ts). */
export interface Claimant {
  userId: string;
  deadline?: ClaimDeadline;
}

/**
 * Claims of one packet in one transaction (group commit: claim-batches.ts): the lock, the
 * claimers' own claims, who of them may see the packet, the decisions in order (`decideClaims`), then one write of the row, the
 * claim rows and the events, and the packet's message expansion mirrored from the state after
 * them (so it changes once per batch, in the transaction that changed the packet). The same
 * statements whatever the batch's size; nothing but Postgres is waited on under the lock.
 */
export async function claimBatch(trx: Transaction<DB>, redPacketId: string, claimants: Claimant[], ctx: DecideContext): Promise<ClaimOutcome[]> {
  const userIds = claimants.map((c) => c.userId);
  const { state, members } = await lockAndLoad(trx, redPacketId, userIds);
  const visible = state.packet ? visibleAmong(packetRef(state.packet), userIds, members) : new Set<string>();
  const admit = (i: number) => {
    if (!visible.has(userIds[i])) throw Errors.notFound('red packet');
    claimants[i].deadline?.assertOpen();
  };
  const { outcomes, events } = decideClaims(userIds, state, ctx, admit);
  const after = await writeEvents(trx, state, events, ctx.now);
  if (events.length > 0 && after?.packet) await mirrorExpansion(trx, after.packet, ctx.now);
  return outcomes;
}

/**
 * The packet's message expansion set to what the packet is (claimed, status, open); unchanged
 * keys are not written. It never meets the per-message key limit: members' PATCHes keep room for
 * the packet's five keys and cannot remove them (the expansion decider's reserved keys). Should
 * a message still have no room (keys written before those rules existed), the keys that exist
 * are updated and the missing ones that do not fit are left out with a warning: failing here
 * would fail every claim after it.
 */
export async function mirrorExpansion(trx: Transaction<DB>, p: RedPacket, now: number): Promise<void> {
  if (!p.messageUId) return;
  const wanted = packetExpansion({ count: p.count, totalAmount: p.totalAmount, claimedCount: p.count - p.remainingCount, status: p.status });
  const after = await changeExpansion(trx, { type: 'mirrorPacket', message: { messageUId: p.messageUId, ref: packetRef(p) }, wanted }, now);
  const missing = leftOut(wanted, after);
  if (missing.length > 0) logger.warn(`${p.messageUId}: no room for red packet keys ${missing.join(', ')}; left out`);
}

/** The state a command needs, its row held for the rest of the transaction (see `lockAndLoad`). */
export async function loadState(trx: Transaction<DB>, id: string, claimers: string[]): Promise<RedPacketState> {
  return (await lockAndLoad(trx, id, claimers)).state;
}

/**
 * Two statements. The first locks the packet's row and reads which claimers are members of its
 * group (`visibleAmong` decides with it; its snapshot may predate the lock, which is fine for
 * membership: the claims' barrier ran before it began). The second, after the lock, reads the
 * claimers' own claims and, when the claimers could take the last share, the claims tied for the
 * biggest share so far (the last claim names the best luck); a statement of its own, so it sees
 * every claim committed before the lock was granted. Loading every claim would cost each of
 * 10,000 claims.
 */
async function lockAndLoad(trx: Transaction<DB>, id: string, claimers: string[]): Promise<{ state: RedPacketState; members: Set<string> }> {
  // A packet's group is its target (membershipKeyOf): red packets are private or group only.
  const row = await trx
    .selectFrom('red_packets as p')
    .selectAll('p')
    .select(sql<string[]>`ARRAY(SELECT gm.user_id FROM group_members gm WHERE gm.group_id = p.target_id AND gm.user_id = ANY(${claimers}))`.as('members'))
    .where('p.red_packet_id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return { state: initialState(), members: new Set() };
  const packet = fromRow(row);
  const members = new Set(row.members);
  const last = packet.remainingCount > 0 && packet.remainingCount <= Math.max(1, claimers.length);
  if (claimers.length === 0 && !last) return { state: { packet, claims: new Map(), version: row.version }, members };
  const rows = await trx
    .selectFrom('red_packet_claims')
    .select(['user_id', 'amount', 'claimed_at'])
    .where('red_packet_id', '=', id)
    .where((eb) => {
      const top = eb
        .selectFrom('red_packet_claims')
        .select((m) => m.fn.max('amount').as('amount'))
        .where('red_packet_id', '=', id);
      const mine = claimers.length > 0 ? [eb('user_id', '=', eb.fn<string>('any', [eb.val(claimers)]))] : [];
      return eb.or([...mine, ...(last ? [eb('amount', '=', top)] : [])]);
    })
    .execute();
  return { state: { packet, claims: new Map(rows.map((r) => [r.user_id, claimOf(r)])), version: row.version }, members };
}

/**
 * Appends the events and writes what follows from them: the packet's row (inserted on creation,
 * unless its payment already made one: then null and nothing is written) and a row per claim,
 * whose key (packet, user) holds "once per user" in Postgres too (one insert for all of them).
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
    // The row's new state and the claims' rows in one statement.
    const { remaining_amount, remaining_count, refunded_amount, status, message_uid, version } = row;
    const changing = { remaining_amount, remaining_count, refunded_amount, status, message_uid, version };
    const update = (db: QueryCreator<DB>) => db.updateTable('red_packets').set(changing).where('red_packet_id', '=', row.red_packet_id);
    const claims = events.flatMap((e) => (e.type === 'redpacket.claimed' ? [e.data] : []));
    if (claims.length === 0) await update(trx).execute();
    else {
      const rows = claims.map((c) => ({ red_packet_id: c.redPacketId, user_id: c.userId, amount: c.amount, claimed_at: c.claimedAt }));
      await trx
        .with('packet', (db) => update(db))
        .insertInto('red_packet_claims')
        .values(rows)
        .execute();
    }
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
