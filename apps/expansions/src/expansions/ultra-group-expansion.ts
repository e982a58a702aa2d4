import { channelOf, ConversationType, EventData, NewEvent } from '@im/contracts';
import { ExpansionEvent, KeyState } from './expansion.decider';

type Changed = EventData<'ultragroup.expansion.changed'>;
export type UltraGroupExpansionEvent = Extract<NewEvent, { type: 'ultragroup.expansion.changed' }>;

/**
 * An ultra-group message's `expansion.updated` as the seed's RC:MsgExMsg, for app servers (the
 * seed: "the client cannot receive this type of message"; clients get expansion.updated). Derived
 * from that very event and the keys before it: `put` the keys set with their new values, `del`
 * the keys removed with the values they had, `clear: 1` when everything went first. The
 * expansion given at send is no change (the message itself carries it). Null for other conversations.
 */
export function ultraGroupExpansionEvent(event: ExpansionEvent, before: Map<string, KeyState>, at: number): UltraGroupExpansionEvent | null {
  const e = event.data;
  if (e.conversationType !== ConversationType.ULTRA_GROUP || e.reason === 'initial') return null;
  const del = Object.fromEntries(e.removed.filter((k) => before.has(k)).map((k) => [k, before.get(k)!.value]));
  const content: Changed['content'] = {
    clear: e.cleared ? 1 : 0,
    ...(Object.keys(e.updated).length > 0 ? { put: e.updated } : {}),
    ...(Object.keys(del).length > 0 ? { del } : {}),
  };
  const data: Changed = {
    messageUId: e.messageUId,
    conversationId: e.conversationId,
    ultraGroupId: e.targetId,
    channelId: channelOf(e.conversationId) ?? '',
    senderId: e.senderId,
    operatorId: e.operatorId,
    objectName: 'RC:MsgExMsg',
    content,
    version: e.version,
    changedAt: at,
  };
  return { type: 'ultragroup.expansion.changed', data };
}
