import { EventEnvelope, Subjects } from '@im/contracts';
import { AppliedEvent, ApplyMeta, Projection } from '@im/eventstore';
import { PresenceBoard } from '@im/realtime';
import { Kysely } from 'kysely';
import { membersOf, unique } from '../view/conversation-members';
import { waitForView } from '../view/wait-for-view';
import { Audience, audienceOf } from './audience';
import { DeliveryPublisher } from './delivery-publisher';

export interface FanoutSettings {
  /** Only users online within this long get stored deliveries; the rest resync through history. */
  recentMs: number;
  /** Events older than this are not delivered (a replay of old history after a reset). */
  maxAgeMs: number;
}

/**
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
}): Projection {
  const messagingStream = deps.subjects.stream('messaging');
  const deliverable = (event: EventEnvelope) => {
    const audience = audienceOf(event);
    return audience && !tooOld(event, deps.now(), deps.settings.maxAgeMs) ? audience : null;
  };
  const fanOut = async (trx: Kysely<any>, event: EventEnvelope, audience: Audience) => {
    // Only users around now or lately can be delivered to: a group's others are never read. Past
    // a thousand of them a group's whole membership is the cheaper read.
    const around = deps.presence.recentUsers(deps.settings.recentMs);
    const users = await resolve(trx, audience, around.length <= AROUND_LOOKUP_MAX ? around : undefined);
    if ('live' in audience && audience.live) {
      deps.publisher.live(event, users.filter((u) => deps.presence.isOnline(u)));
      return;
    }
    await deps.publisher.deliver(event, users.filter((u) => deps.presence.recentlyOnline(u, deps.settings.recentMs)));
  };
  return {
    name: 'fanout',
    sources: ['messaging', 'expansions', 'receipts', 'push'],
    tables: [],
    async apply(trx, event, meta: ApplyMeta) {
      const audience = deliverable(event);
      if (!audience) return;
      if (meta.stream === messagingStream) await waitForView(trx, meta);
      await fanOut(trx, event, audience);
    },
    /** One wait for the view per batch: reaching the last event's place covers the ones before it. */
    async applyBatch(trx, events: AppliedEvent[]) {
      const todo = events.flatMap((e) => {
        const audience = deliverable(e.event);
        return audience ? [{ ...e, audience }] : [];
      });
      const last = todo.filter((e) => e.meta.stream === messagingStream).at(-1);
      if (last) await waitForView(trx, last.meta);
      for (const e of todo) await fanOut(trx, e.event, e.audience);
    },
  };
}

function tooOld(event: EventEnvelope, now: number, maxAgeMs: number): boolean {
  return now - Date.parse(event.time) > maxAgeMs;
}

const AROUND_LOOKUP_MAX = 1000;

async function resolve(db: Kysely<any>, audience: Audience, among: string[] | undefined): Promise<string[]> {
  if ('users' in audience) return unique(audience.users);
  if ('conversation' in audience) return membersOf(db, audience.conversation, among);
  const ref = await db
    .selectFrom('message_refs')
    .select(['conversation_type', 'target_id', 'sender_id', 'directed_user_ids'])
    .where('message_uid', '=', audience.messageOf)
    .executeTakeFirst();
  if (!ref) return unique(audience.fallback);
  return membersOf(db, { conversationType: ref.conversation_type, targetId: ref.target_id, senderId: ref.sender_id, directedUserIds: ref.directed_user_ids }, among);
}
