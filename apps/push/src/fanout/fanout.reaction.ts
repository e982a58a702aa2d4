import { Subjects } from '@im/contracts';
import { defineProjection, Projection, TypedEvent } from '@im/eventstore';
import { PresenceBoard } from '@im/realtime';
import { Kysely } from 'kysely';
import { membersOf, unique } from '../view/conversation-members';
import { Audience, audienceOf, DELIVERED_EVENTS, DeliveredEvent } from './audience';
import { DeliveryPublisher } from './delivery-publisher';
import { envelopeSeenBy } from './seen-by';
import type { DB } from '../db.generated';

export interface FanoutSettings {
  /** Only users online within this long get stored deliveries; the rest resync through history. */
  recentMs: number;
  /** Events older than this are not delivered (a replay of old history after a reset). */
  maxAgeMs: number;
}

/**
 * Applied after the push view and the push planner, in the same transaction (push.module.ts
 * composes them), so a message is never fanned out before the membership it follows.
 *
 * The real-time stream's fan-out, as a reaction (not rebuildable: it publishes). For each event a
 * user may see, one delivery per recipient that has been online recently, in the order of the
 * source stream: an event's deliveries are all stored before the next event's are published.
 */
export function fanoutReaction(deps: {
  publisher: DeliveryPublisher;
  presence: PresenceBoard;
  subjects: Subjects;
  settings: FanoutSettings;
  now: () => number;
}): Projection<DeliveredEvent> {
  const fanOut = async (trx: Kysely<DB>, event: TypedEvent<DeliveredEvent>, audience: Audience) => {
    // Only users around now or lately can be delivered to: a group's others are never read. Past
    // a thousand of them a group's whole membership is the cheaper read.
    const among = () => {
      const around = deps.presence.recentUsers(deps.settings.recentMs);
      return around.length <= AROUND_LOOKUP_MAX ? around : undefined;
    };
    const users = await resolve(trx, audience, among);
    const seenBy = envelopeSeenBy(event);
    if ('live' in audience && audience.live) {
      deps.publisher.live(event, users.filter((u) => deps.presence.isOnline(u)), seenBy);
      return;
    }
    await deps.publisher.deliver(event, users.filter((u) => deps.presence.recentlyOnline(u, deps.settings.recentMs)), seenBy);
  };
  return defineProjection({
    name: 'fanout',
    sources: ['messaging', 'expansions', 'receipts', 'push'],
    tables: [],
    handles: DELIVERED_EVENTS,
    // Event by event (no applyBatch): each event's deliveries are stored before the next's.
    async apply(trx, event) {
      if (!tooOld(event, deps.now(), deps.settings.maxAgeMs)) await fanOut(trx, event, audienceOf(event));
    },
  });
}

function tooOld(event: TypedEvent, now: number, maxAgeMs: number): boolean {
  return now - Date.parse(event.time) > maxAgeMs;
}

const AROUND_LOOKUP_MAX = 1000;

async function resolve(db: Kysely<DB>, audience: Audience, among: () => string[] | undefined): Promise<string[]> {
  if ('users' in audience) return unique(audience.users);
  if (audience.directionOf === undefined) return membersOf(db, audience.conversation, among);
  const directed = await db.selectFrom('directed_messages').select('directed_user_ids').where('message_uid', '=', audience.directionOf).executeTakeFirst();
  return membersOf(db, { ...audience.conversation, directedUserIds: directed?.directed_user_ids ?? null }, among);
}
