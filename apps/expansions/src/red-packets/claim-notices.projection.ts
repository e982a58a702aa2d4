import { ConversationType } from '@im/contracts';
import { defineProjection, Projection } from '@im/eventstore';
import { Kysely } from 'kysely';
import { DroppedNotices } from './dropped-notices';
import { messagingRefused, RedPacketMessenger } from './red-packet-message';
import type { DB } from '../db.generated';

/**
 * The grey-bar notices of a claim, as a reaction to `redpacket.claimed`: one to the claimer
 * ("You claimed the red packet from {sender}") and one to the sender ("{claimer} claimed your
 * red packet"), each visible to its reader only. The idempotency keys come from the event id,
 * so a redelivered event sends nothing twice.
 *
 * The world may have moved on since the claim: the sender (or the claimer) may have left the
 * group. Messaging's refusal then is the answer, and asking again would get it again forever,
 * holding back every later packet's notices; so a refusal drops that one notice (counted and
 * logged by `DroppedNotices`) and only messaging being unreachable is retried.
 */
export function claimNoticesProjection(messenger: RedPacketMessenger, dropped: DroppedNotices): Projection<'redpacket.claimed'> {
  return defineProjection({
    name: 'claim_notices',
    sources: ['expansions'],
    tables: [],
    handles: ['redpacket.claimed'],
    async apply(trx, event) {
      const c = event.data;
      const names = await namesOf(trx, [c.senderId, c.userId]);
      const sender = names.get(c.senderId) ?? c.senderId;
      const claimer = names.get(c.userId) ?? c.userId;
      // In a private conversation each side addresses the other; in a group both address the group.
      const targetFor = (me: string) =>
        c.conversationType !== ConversationType.PRIVATE ? c.targetId : me === c.senderId ? c.targetId : c.senderId;
      const send = async (userId: string, text: string, idempotencyKey: string) => {
        try {
          await messenger.notice(userId, c.conversationType, targetFor(userId), text, idempotencyKey);
        } catch (e) {
          if (!messagingRefused(e)) throw e;
          dropped.record(e, { userId, redPacketId: c.redPacketId, idempotencyKey });
        }
      };
      await send(c.userId, `You claimed the red packet from ${sender}`, `rp-notice:${event.id}:claimer`);
      if (c.userId !== c.senderId) await send(c.senderId, `${claimer} claimed your red packet`, `rp-notice:${event.id}:sender`);
    },
  });
}

async function namesOf(db: Kysely<DB>, userIds: string[]): Promise<Map<string, string>> {
  const rows = await db.selectFrom('profiles').select(['user_id', 'name']).where('user_id', 'in', userIds).execute();
  return new Map(rows.map((r) => [r.user_id, r.name]));
}
