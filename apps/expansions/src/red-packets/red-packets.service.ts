import {
  actingUser,
  AppError,
  conversationId,
  ConversationType,
  DEFAULT_RED_PACKET_TTL_SECONDS,
  Errors,
  RpcParsed,
  RpcReply,
} from '@im/contracts';
import { catchUpWithOwner } from '@im/eventstore';
import { Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { randomBytes, randomInt } from 'node:crypto';
import { assertCanSee, isGroupMember } from '../messaging-view/access';
import { ClaimDeadline } from './claim-admission';
import { ClaimBatches } from './claim-batches';
import { bestLuckOf, decide, initialState, RedPacket, RedPacketCommand, RedPacketState } from './red-packet.decider';
import { messagingRefused, RedPacketMessenger } from './red-packet-message';
import { claimsOf, execute, findByPayment, packetRef, readPacket, writeEvents } from './red-packet.store';
import type { DB as ExpansionsDB } from '../db.generated';

/** Packets kept in memory for their claims (a few MB at most). */
const KNOWN_PACKETS = 10_000;

interface KnownPacket {
  conversationType: number;
  expiresAt: number;
  /** Nothing left to pay out: every share taken, or expired. */
  over: boolean;
}

export const RED_PACKET_MESSENGER = Symbol('RED_PACKET_MESSENGER');
export const RANDOM = Symbol('RANDOM');

type Request<M extends RedPacketMethod> = RpcParsed<'expansions', M>;
type Reply<M extends RedPacketMethod> = RpcReply<'expansions', M>;
type RedPacketMethod = 'redpackets.create' | 'redpackets.claim' | 'redpackets.get';

/** Uniform floats in [0, 1) from the crypto generator: shares nobody can predict. */
export const cryptoRandom = (): number => randomInt(0, 2 ** 47) / 2 ** 47;

/**
 * Red packets: create (exactly once per payment id), claim (serialised on the packet's row, the
 * claims that arrive together decided in one transaction, at most once per user by the claims
 * table's key), and read. Every change goes to the decider through red-packet.store.ts; the
 * message expansion follows from the packet's state.
 */
@Injectable()
export class RedPacketsService {
  constructor(
    @Inject(DB) private readonly db: Kysely<ExpansionsDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RED_PACKET_MESSENGER) private readonly messenger: RedPacketMessenger,
    @Inject(RANDOM) private readonly random: () => number,
  ) {
    this.batches = new ClaimBatches(db, () => this.context());
  }

  private readonly batches: ClaimBatches;
  private readonly known = new Map<string, KnownPacket>();

  async create({ actor, idempotencyKey, body }: Request<'redpackets.create'>): Promise<Reply<'redpackets.create'>> {
    // The app server takes the payment, then creates the packet as the payer; a user token could
    // otherwise mint money it never paid (the payment id is the app server's, not checked here).
    if (!actor.isServer) {
      throw Errors.forbidden('red packets are created by the app server (server key, X-User-Id: the payer) after it took the payment');
    }
    const senderId = actingUser(actor);
    const receiverIds = body.receiverIds ? [...new Set(body.receiverIds)] : undefined;
    const now = this.clock.now().getTime();
    const command: RedPacketCommand = {
      type: 'create',
      ...body,
      redPacketId: `rp_${now.toString(36)}${randomBytes(6).toString('hex')}`,
      senderId,
      conversationId: conversationId(body.conversationType, senderId, body.targetId),
      receiverIds,
      ttlSeconds: body.expiresInSeconds ?? DEFAULT_RED_PACKET_TTL_SECONDS,
      paymentId: idempotencyKey ?? null,
    };
    // Decided first: what cannot be created is refused before anything is looked up.
    const events = decide(command, initialState(), this.context(now));
    await this.assertConversation(body.conversationType, body.targetId, senderId, receiverIds);
    const packet = await this.createOnce(command.paymentId, senderId, () =>
      this.db.transaction().execute((trx) => writeEvents(trx, initialState(), events, now)),
    );
    return { redPacketId: packet.id, messageUId: packet.messageUId ?? (await this.sendMessage(packet)) };
  }

  /**
   * `deadline` (from the admission) refuses, unwritten, a claim that waited too long for its
   * batch. Concurrent claims of a packet are decided and committed together (claim-batches.ts).
   */
  async claim({ actor, redPacketId }: Request<'redpackets.claim'>, deadline?: ClaimDeadline): Promise<Reply<'redpackets.claim'>> {
    const userId = actingUser(actor);
    const known = await this.knownPacket(redPacketId);
    if (!known) throw Errors.notFound('red packet');
    // A member removed before this claim was asked must not claim: our copy of the membership
    // has to have the removal first (a refusal is retried after the barrier anyway; a yes is not).
    // Concurrent claims share one barrier (catchUpWithOwner), and their batch checks who may see
    // the packet in one statement. A packet with nothing left to pay can only refuse: no barrier
    // (a member removed a moment ago may hear it is exhausted rather than not found).
    if (known.conversationType === ConversationType.GROUP && !this.isOver(known)) await catchUpWithOwner('messaging');
    const outcome = await this.batches.submit(redPacketId, { userId, deadline });
    if ('refused' in outcome) {
      if (['RED_PACKET_EXHAUSTED', 'RED_PACKET_EXPIRED'].includes(outcome.refused.code)) known.over = true;
      throw outcome.refused;
    }
    const claimed = outcome.events[0];
    if (claimed?.type !== 'redpacket.claimed') throw new Error(`a claim decided ${claimed?.type ?? 'nothing'}`);
    if (claimed.data.remainingCount === 0) known.over = true;
    return { amount: claimed.data.amount, currency: claimed.data.currency, remainingCount: claimed.data.remainingCount };
  }

  /**
   * What claims need to know of a packet before its batch, kept in memory: its conversation type
   * never changes, and once every share is taken or it expired it stays so (`over`).
   */
  private async knownPacket(redPacketId: string): Promise<KnownPacket | undefined> {
    const known = this.known.get(redPacketId);
    if (known) return known;
    const p = await readPacket(this.db, redPacketId);
    if (!p) return undefined;
    if (this.known.size >= KNOWN_PACKETS) this.known.clear();
    const fresh = { conversationType: p.conversationType, expiresAt: p.expiresAt, over: p.status === 'claimed' || p.status === 'expired' };
    this.known.set(redPacketId, fresh);
    return fresh;
  }

  private isOver(p: KnownPacket): boolean {
    return p.over || this.clock.now().getTime() >= p.expiresAt;
  }

  async get({ actor, redPacketId }: Request<'redpackets.get'>): Promise<Reply<'redpackets.get'>> {
    const p = await readPacket(this.db, redPacketId);
    if (!p) throw Errors.notFound('red packet');
    await assertCanSee(this.db, packetRef(p), actor, 'red packet');
    const claims = await claimsOf(this.db, p.id);
    const mine = actor.userId ? claims.find((c) => c.userId === actor.userId) : undefined;
    const { id, refundedAmount: _refunded, paymentId: _payment, conversationId: _conversation, ...shown } = p;
    return {
      redPacketId: id,
      ...shown,
      claims,
      ...(p.status === 'claimed' ? { bestLuck: bestLuckOf(claims) } : {}),
      ...(mine ? { myClaim: { amount: mine.amount, claimedAt: mine.claimedAt } } : {}),
    };
  }

  private context(now = this.clock.now().getTime()) {
    return { now, random: this.random };
  }

  /** The sender must be in the group (or the peer must exist), receivers must be members. */
  private async assertConversation(type: number, targetId: string, senderId: string, receiverIds?: string[]): Promise<void> {
    if (type === ConversationType.GROUP) {
      if (!(await isGroupMember(this.db, targetId, senderId))) throw Errors.notFound('group');
      for (const r of receiverIds ?? []) {
        if (!(await isGroupMember(this.db, targetId, r))) {
          throw new AppError('RECEIVER_NOT_MEMBER', 'every receiver must be a member of the group', { userId: r });
        }
      }
      return;
    }
    const peer = await this.db.selectFrom('profiles').select('user_id').where('user_id', '=', targetId).executeTakeFirst();
    if (!peer || targetId === senderId) throw Errors.notFound('user');
  }

  /** Creates the packet, or finds the one this payment already created (first, or after losing the race to it). */
  private async createOnce(paymentId: string | null, senderId: string, write: () => Promise<RedPacketState | null>): Promise<RedPacket> {
    const earlier = async () => (paymentId === null ? undefined : findByPayment(this.db, senderId, paymentId));
    const found = await earlier();
    if (found) return found;
    const written = await write();
    return written?.packet ?? (await earlier())!;
  }

  /**
   * Sends the packet's message and records its id. If messaging refuses it for good, the packet
   * is expired at once and its money refunded, so a payment never ends in a packet nobody sees.
   */
  private async sendMessage(p: RedPacket): Promise<string> {
    let messageUId: string;
    try {
      messageUId = await this.messenger.send(p);
    } catch (e) {
      const refund = { type: 'expire', force: true } as const;
      if (messagingRefused(e)) await this.db.transaction().execute((trx) => execute(trx, p.id, refund, this.context()));
      throw e;
    }
    await this.db.transaction().execute((trx) => execute(trx, p.id, { type: 'recordMessage', messageUId }, this.context()));
    return messageUId;
  }
}
