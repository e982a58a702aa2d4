import { z } from 'zod';
import { define } from './define';

/**
 * Callback configuration changes. Post-send is the push service's (`im.events.push.*`),
 * before-send messaging's (`im.events.messaging.*`): each is stored where it is used. The
 * secret never travels (observers read every event); the URL does, so an audit sees where
 * messages go.
 */
export const PostSendConfiguredData = z.object({
  url: z.string(),
  events: z.array(z.string()),
  configuredAt: z.number().int(),
});

export const BeforeSendConfiguredData = z.object({
  url: z.string(),
  timeoutMs: z.number().int(),
  objectNames: z.array(z.string()).nullable().describe('null: every message type'),
  onTimeout: z.enum(['allow', 'reject']),
  configuredAt: z.number().int(),
});

export const CallbackRemovedData = z.object({ removedAt: z.number().int() });

export const PUSH_CALLBACK_EVENTS = {
  'callback.post-send.configured': define('push', 1, PostSendConfiguredData, 'The post-send callback was set or replaced (events from then on are delivered).'),
  'callback.post-send.removed': define('push', 1, CallbackRemovedData, 'The post-send callback was removed.'),
} as const;

export const MESSAGING_CALLBACK_EVENTS = {
  'callback.before-send.configured': define('messaging', 1, BeforeSendConfiguredData, 'The before-send callback was set or replaced.'),
  'callback.before-send.removed': define('messaging', 1, CallbackRemovedData, 'The before-send callback was removed.'),
} as const;
