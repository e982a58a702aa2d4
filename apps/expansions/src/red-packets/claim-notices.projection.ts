import { EventData } from '@im/contracts';
import { Projection } from '@im/eventstore';
import { Kysely } from 'kysely';
import { RedPacketMessenger } from './red-packet-message';

/**
 * The grey-bar notices of a claim, as a reaction to `redpacket.claimed`: one to the claimer
 * ("You claimed the red packet from {sender}") and one to the sender ("{claimer} claimed your
 * red packet"), each visible to its reader only. The idempotency keys come from the event id,
 * so a redelivered event sends nothing twice, and a failure is retried until messaging has them.
 */
export function claimNoticesProjection(messenger: RedPacketMessenger): Projection {
  return {
    name: 'claim_notices',
    sources: ['expansions'],
    tables: [],
    async apply(trx, event) {
      if (event.type !== 'redpacket.claimed') return;
      const c = event.data as EventData<'redpacket.claimed'>;
      const names = await namesOf(trx, [c.senderId, c.userId]);
      const sender = names.get(c.senderId) ?? c.senderId;
      const claimer = names.get(c.userId) ?? c.userId;
      // In a private conversation each side addresses the other; in a group both address the group.
      const targetFor = (me: string) => (c.conversationType === 1 ? (me === c.senderId ? c.targetId : c.senderId) : c.targetId);
      await messenger.notice(c.userId, c.conversationType, targetFor(c.userId), `You claimed the red packet from ${sender}`, `rp-notice:${event.id}:claimer`);
      if (c.userId !== c.senderId) {
        await messenger.notice(c.senderId, c.conversationType, targetFor(c.senderId), `${claimer} claimed your red packet`, `rp-notice:${event.id}:sender`);
      }
    },
  };
}

async function namesOf(db: Kysely<any>, userIds: string[]): Promise<Map<string, string>> {
  const rows = await db.selectFrom('profiles').select(['user_id', 'name']).where('user_id', 'in', userIds).execute();
  return new Map(rows.map((r) => [r.user_id, r.name]));
}
