import { z } from 'zod';
import { DeviceId } from '../push-api';
import { ConversationTypeSchema, EntityId } from '../ids';
import { define } from './define';

/** The events the push service publishes on `im.events.push.*`. Secrets and URLs never travel. */
export const DeviceRegisteredData = z.object({
  userId: EntityId,
  deviceId: DeviceId,
  platform: z.enum(['webhook', 'webpush']),
  registeredAt: z.number().int(),
});

export const DeviceRemovedData = z.object({
  userId: EntityId,
  deviceId: DeviceId,
  removedAt: z.number().int(),
});

export const NotificationUpdatedData = z.object({
  userId: EntityId,
  conversationId: z.string(),
  conversationType: ConversationTypeSchema,
  targetId: EntityId.describe('the conversation as the user addresses it'),
  muted: z.boolean().describe('muted: no pushes from this conversation unless the user is mentioned'),
  updatedAt: z.number().int(),
});

export const PUSH_EVENTS = {
  'device.registered': define('push', 1, DeviceRegisteredData, 'A user registered (or replaced) a push device.'),
  'device.removed': define('push', 1, DeviceRemovedData, 'A user removed a push device.'),
  'conversation.notification.updated': define('push', 1, NotificationUpdatedData, 'A user muted or unmuted a conversation.'),
} as const;
