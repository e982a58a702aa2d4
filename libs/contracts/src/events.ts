import { z } from 'zod';
import type { ServiceName } from './subjects';
import { MESSAGING_CALLBACK_EVENTS, PUSH_CALLBACK_EVENTS } from './events/callbacks.events';
import { EXPANSIONS_EVENTS } from './events/expansions.events';
import { MESSAGING_EVENTS } from './events/messaging.events';
import { PUSH_EVENTS } from './events/push.events';
import { RECEIPTS_EVENTS } from './events/receipts.events';

export * from './events/callbacks.events';
export * from './events/define';
export * from './events/expansions.events';
export * from './events/messaging.events';
export * from './events/push.events';
export * from './events/receipts.events';

/**
 * Every domain event, its publishing service, payload schema and payload version, one file per
 * publishing service. Publishers and consumers both type against this map, and the AsyncAPI
 * document is generated from it. Type names are unique across services.
 */
export const EVENTS = { ...MESSAGING_EVENTS, ...EXPANSIONS_EVENTS, ...RECEIPTS_EVENTS, ...PUSH_EVENTS, ...PUSH_CALLBACK_EVENTS, ...MESSAGING_CALLBACK_EVENTS } as const;

export type EventType = keyof typeof EVENTS;
export type EventData<T extends EventType> = z.infer<(typeof EVENTS)[T]['schema']>;
export type EventsOf<S extends ServiceName> = {
  [K in EventType]: (typeof EVENTS)[K]['service'] extends S ? K : never;
}[EventType];

/** A new event ready to append: its type and payload, checked against the map at compile time. */
export type NewEvent = { [K in EventType]: { type: K; data: EventData<K> } }[EventType];

export function newEvent<T extends EventType>(type: T, data: EventData<T>): NewEvent {
  return { type, data } as NewEvent;
}
