import { actingUser, AppError, conversationId, ConversationType, DEFAULT_RED_PACKET_TTL_SECONDS, Errors, EventData, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream, catchUpWithOwner } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, Transaction } from 'kysely';
import { randomBytes, randomInt } from 'node:crypto';
import { assertCanSee, canSee, isGroupMember } from '../messaging-view/access';
import { ClaimDeadline } from './claim-admission';
import { assertCreatable, decideClaim } from './red-packet.decider';
import { isPermanent, RedPacketMessenger } from './red-packet-message';
import { bestLuckOf, claimsOf, loadPacket, packetRef, RedPacketRow } from './red-packet.repository';
import { expirePacket } from './red-packet-expiry';

export const RED_PACKET_MESSENGER = Symbol('RED_PACKET_MESSENGER');
export const RANDOM = Symbol('RANDOM');

/** Uniform floats in [0, 1) from the crypto generator: shares nobody can predict. */
export const cryptoRandom = (): number => randomInt(0, 2 ** 47) / 2 ** 47;

/**
 * Red packets: create (exactly once per payment id), claim (serialised on the packet's row,
 * at most once per user by the claims table's key), and read. A claim's transaction holds the
 * packet's lock for four statements; the message expansion follows from its events.
 */
@Injectable()
export class RedPacketsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RED_PACKET_MESSENGER) private readonly messenger: RedPacketMessenger,
    @Inject(RANDOM) private readonly random: () => number,
  ) {}

  async create({ actor, idempotencyKey, body }: RpcParsed<'expansions', 'redpackets.create'>): Promise<RpcReply<'expansions', 'redpackets.create'>> {
    // The app server takes the payment, then creates the packet as the payer; a user token could
    // otherwise mint money it never paid (the payment id is the app server's, not checked here).
    if (!actor.isServer) throw Errors.forbidden('red packets are created by the app server (server key, X-User-Id: the payer) after it took the payment');
    const senderId = actingUser(actor);
    const receiverIds = body.receiverIds ? [...new Set(body.receiverIds)] : undefined;
    assertCreatable({ ...body, senderId, receiverIds });
    await this.assertConversation(body.conversationType, body.targetId, senderId, receiverIds);
    const packet = await this.insertOnce(senderId, idempotencyKey, { ...body, receiverIds });
    return { redPacketId: packet.id, messageUId: packet.messageUId ?? (await this.sendMessage(packet)) };
  }

  /** `deadline` (from the admission) refuses, unwritten, a claim that waited too long for the lock. */
  async claim({ actor, redPacketId }: RpcParsed<'expansions', 'redpackets.claim'>, deadline?: ClaimDeadline): Promise<RpcReply<'expansions', 'redpackets.claim'>> {
    const userId = actingUser(actor);
    // Who may see it does not change under the lock: check before taking it, to keep it short.
    const seen = await loadPacket(this.db, redPacketId);
    // A member removed before this claim was asked must not claim: our copy of the membership
    // has to have the removal first (a refusal is retried after the barrier anyway; a yes is not).
    if (seen?.conversationType === ConversationType.GROUP) await catchUpWithOwner('messaging');
    if (!seen || !(await canSee(this.db, packetRef(seen), userId))) throw Errors.notFound('red packet');
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock.now().getTime();
      const p = (await loadPacket(trx, redPacketId, true))!;
      deadline?.assertOpen();
      const existing = await trx
        .selectFrom('red_packet_claims')
        .select(['amount', 'claimed_at'])
        .where('red_packet_id', '=', p.id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      const existingClaim = existing ? { amount: Number(existing.amount), claimedAt: Number(existing.claimed_at) } : null;
      const d = decideClaim(p, { userId, now, existingClaim, random: this.random });
      await trx.insertInto('red_packet_claims').values({ red_packet_id: p.id, user_id: userId, amount: d.amount, claimed_at: now }).execute();
      await this.recordClaim(trx, p, userId, d, now);
      return { amount: d.amount, currency: p.currency, remainingCount: d.remainingCount };
    });
  }

  async get({ actor, redPacketId }: RpcParsed<'expansions', 'redpackets.get'>): Promise<RpcReply<'expansions', 'redpackets.get'>> {
    const p = await loadPacket(this.db, redPacketId);
    if (!p) throw Errors.notFound('red packet');
    await assertCanSee(this.db, packetRef(p), actor, 'red packet');
    const claims = await claimsOf(this.db, p.id);
    const mine = actor.userId ? claims.find((c) => c.userId === actor.userId) : undefined;
    return {
      redPacketId: p.id,
      messageUId: p.messageUId,
      senderId: p.senderId,
      conversationType: p.conversationType,
      targetId: p.targetId,
      status: p.status,
      mode: p.mode,
      currency: p.currency,
      totalAmount: p.totalAmount,
      count: p.count,
      remainingAmount: p.remainingAmount,
      remainingCount: p.remainingCount,
      greeting: p.greeting,
      receiverIds: p.receiverIds,
      expiresAt: p.expiresAt,
      claims,
      ...(p.status === 'claimed' ? { bestLuck: bestLuckOf(claims) } : {}),
      ...(mine ? { myClaim: { amount: mine.amount, claimedAt: mine.claimedAt } } : {}),
    };
  }

  /** The sender must be in the group (or the peer must exist), receivers must be members. */
  private async assertConversation(type: number, targetId: string, senderId: string, receiverIds?: string[]): Promise<void> {
    if (type === 3) {
      if (!(await isGroupMember(this.db, targetId, senderId))) throw Errors.notFound('group');
      for (const r of receiverIds ?? []) {
        if (!(await isGroupMember(this.db, targetId, r))) throw new AppError('RECEIVER_NOT_MEMBER', 422, 'every receiver must be a member of the group', { userId: r });
      }
      return;
    }
    const peer = await this.db.selectFrom('profiles').select('user_id').where('user_id', '=', targetId).executeTakeFirst();
    if (!peer || targetId === senderId) throw Errors.notFound('user');
  }

  /** Creates the packet, or finds the one this payment already created. */
  private async insertOnce(senderId: string, idempotencyKey: string | undefined, body: RpcParsed<'expansions', 'redpackets.create'>['body']): Promise<RedPacketRow> {
    const paymentKey = idempotencyKey ? `${senderId}:${idempotencyKey}` : null;
    if (paymentKey) {
      const found = await this.db.selectFrom('red_packets').select('red_packet_id').where('payment_key', '=', paymentKey).executeTakeFirst();
      if (found) return (await loadPacket(this.db, found.red_packet_id))!;
    }
    const now = this.clock.now().getTime();
    const id = `rp_${now.toString(36)}${randomBytes(6).toString('hex')}`;
    const expiresAt = now + (body.expiresInSeconds ?? DEFAULT_RED_PACKET_TTL_SECONDS) * 1000;
    const convId = conversationId(body.conversationType, senderId, body.targetId);
    const inserted = await this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('red_packets')
        .values({
          red_packet_id: id,
          payment_key: paymentKey,
          sender_id: senderId,
          conversation_id: convId,
          conversation_type: body.conversationType,
          target_id: body.targetId,
          mode: body.mode,
          currency: body.currency,
          total_amount: body.totalAmount,
          count: body.count,
          remaining_amount: body.totalAmount,
          remaining_count: body.count,
          greeting: body.greeting ?? null,
          receiver_ids: body.receiverIds ?? null,
          status: 'unclaimed',
          expires_at: expiresAt,
          created_at: now,
          version: 1,
        })
        .onConflict((oc) => oc.column('payment_key').doNothing())
        .returning('red_packet_id')
        .executeTakeFirst();
      if (!row) return false;
      const created: EventData<'redpacket.created'> = {
        redPacketId: id,
        messageUId: null,
        conversationId: convId,
        conversationType: body.conversationType,
        targetId: body.targetId,
        senderId,
        mode: body.mode,
        currency: body.currency,
        totalAmount: body.totalAmount,
        count: body.count,
        receiverIds: body.receiverIds ?? null,
        greeting: body.greeting ?? null,
        expiresAt,
        paymentId: idempotencyKey ?? null,
      };
      await appendToStream(trx, `redpacket-${id}`, 0, [newEvent('redpacket.created', created)], new Date(now));
      return true;
    });
    if (!inserted) return this.insertOnce(senderId, idempotencyKey, body);
    return (await loadPacket(this.db, id))!;
  }

  /**
   * Sends the packet's message and records its id. If messaging refuses it for good, the packet
   * is expired at once and its money refunded, so a payment never ends in a packet nobody sees.
   */
  private async sendMessage(p: RedPacketRow): Promise<string> {
    let messageUId: string;
    try {
      messageUId = await this.messenger.send(p);
    } catch (e) {
      if (isPermanent(e)) await this.db.transaction().execute((trx) => expirePacket(trx, p.id, this.clock.now().getTime(), true));
      throw e;
    }
    await this.db.transaction().execute(async (trx) => {
      const locked = await loadPacket(trx, p.id, true);
      if (!locked || locked.messageUId) return;
      await trx.updateTable('red_packets').set({ message_uid: messageUId, version: locked.version + 1 }).where('red_packet_id', '=', p.id).execute();
      await appendToStream(trx, `redpacket-${p.id}`, locked.version, [newEvent('redpacket.message.sent', { redPacketId: p.id, messageUId })], this.clock.now());
    });
    return messageUId;
  }

  private async recordClaim(trx: Transaction<any>, p: RedPacketRow, userId: string, d: ReturnType<typeof decideClaim>, now: number): Promise<void> {
    const conv = { conversationId: p.conversationId, conversationType: p.conversationType as 1 | 3, targetId: p.targetId, senderId: p.senderId };
    const events = [
      newEvent('redpacket.claimed', {
        redPacketId: p.id,
        messageUId: p.messageUId,
        ...conv,
        userId,
        amount: d.amount,
        currency: p.currency,
        remainingAmount: d.remainingAmount,
        remainingCount: d.remainingCount,
        claimedAt: now,
      }),
    ];
    if (d.completed) {
      const best = bestLuckOf(await claimsOf(trx, p.id))!;
      events.push(
        newEvent('redpacket.completed', { redPacketId: p.id, messageUId: p.messageUId, ...conv, totalAmount: p.totalAmount, currency: p.currency, bestLuckUserId: best.userId, completedAt: now }),
      );
    }
    await trx
      .updateTable('red_packets')
      .set({ remaining_amount: d.remainingAmount, remaining_count: d.remainingCount, status: d.status, version: p.version + events.length })
      .where('red_packet_id', '=', p.id)
      .execute();
    await appendToStream(trx, `redpacket-${p.id}`, p.version, events, new Date(now));
  }
}
