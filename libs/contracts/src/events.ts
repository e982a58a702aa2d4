import { z } from 'zod';
import { ConversationTypeSchema, EntityId, MessageUId } from './ids';
import type { ServiceName } from './subjects';

/**
 * Every domain event, its publishing service, payload schema and payload version. Publishers
 * and consumers both type against this map, and the AsyncAPI document is generated from it.
 */
export const MentionSummary = z.object({
  type: z.union([z.literal(1), z.literal(2)]),
  userIds: z.array(EntityId),
});

export const MessageSentData = z.object({
  messageUId: MessageUId,
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('the target as addressed by the sender (the peer, in private)'),
  senderId: EntityId,
  objectName: z.string(),
  content: z.record(z.string(), z.unknown()),
  seq: z.number().int().positive().nullable().describe('null when the type is not stored'),
  sentTime: z.number().int(),
  isPersisted: z.boolean(),
  isCounted: z.boolean(),
  isStatus: z.boolean(),
  mention: MentionSummary.nullable(),
  pushContent: z.string().optional(),
  pushTitle: z.string().optional(),
  disablePush: z.boolean(),
  disablePushTitle: z.boolean(),
  needReadReceipt: z.boolean(),
  canIncludeExpansion: z.boolean(),
});

export const UserUpsertedData = z.object({ userId: EntityId, name: z.string(), portrait: z.string().nullable() });
export const GroupUpsertedData = z.object({ groupId: EntityId, name: z.string() });
export const GroupMembersChangedData = z.object({ groupId: EntityId, userIds: z.array(EntityId).min(1) });

export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  service: ServiceName;
  version: number;
  schema: S;
  description: string;
}

function define<S extends z.ZodType>(service: ServiceName, version: number, schema: S, description: string): EventDefinition<S> {
  return { service, version, schema, description };
}

export const EVENTS = {
  'user.upserted': define('messaging', 1, UserUpsertedData, 'A user profile was created or changed.'),
  'group.upserted': define('messaging', 1, GroupUpsertedData, 'A group was created or renamed.'),
  'group.members.added': define('messaging', 1, GroupMembersChangedData, 'Users joined a group.'),
  'group.members.removed': define('messaging', 1, GroupMembersChangedData, 'Users left or were removed from a group.'),
  'message.sent': define('messaging', 1, MessageSentData, 'A message was accepted (stored or not).'),
} as const;

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
