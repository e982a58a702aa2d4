import { z } from 'zod';
import { EVENTS } from './events';

/**
 * The app-server callbacks (PRODUCT.md "App-server callbacks"): request schemas of
 * `PUT /v1/callbacks/post-send` and `PUT /v1/callbacks/before-send`, what the app server is sent,
 * and what it may answer. Post-send belongs to the push service (it runs the outbox of outbound
 * requests), before-send to messaging (it asks during a send).
 */

/** Where the backend will POST: http(s) without credentials. Which addresses it may reach is the owning service's check. */
const CallbackUrl = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), 'an http(s) URL')
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), 'a URL without credentials');

/** The HMAC key the app server verifies signatures with (as for webhook devices). */
const CallbackSecret = z.string().min(16, 'secret has at least 16 characters').max(256);

/** Any event type of the contracts' map, so a type added later (ultragroup.expansion.changed) is accepted once it exists. */
export const CallbackEventType = z.string().refine((t) => Object.prototype.hasOwnProperty.call(EVENTS, t), 'a known event type (see asyncapi.yaml)');

export const MIN_BEFORE_SEND_TIMEOUT_MS = 100;
export const MAX_BEFORE_SEND_TIMEOUT_MS = 5000;

export const PostSendCallbackBody = z.strictObject({
  url: CallbackUrl,
  secret: CallbackSecret,
  events: z
    .array(CallbackEventType)
    .min(1)
    .max(64)
    .refine((es) => new Set(es).size === es.length, 'each event type once'),
});
export type PostSendCallbackBody = z.infer<typeof PostSendCallbackBody>;

export const BeforeSendCallbackBody = z.strictObject({
  url: CallbackUrl,
  secret: CallbackSecret,
  timeoutMs: z.number().int().min(MIN_BEFORE_SEND_TIMEOUT_MS).max(MAX_BEFORE_SEND_TIMEOUT_MS),
  /** Only these message types are asked about; unset: every type. */
  objectNames: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
  /** What a send does when the app server does not answer in time (or answers nonsense). */
  onTimeout: z.enum(['allow', 'reject']),
});
export type BeforeSendCallbackBody = z.infer<typeof BeforeSendCallbackBody>;

/** What the app server is POSTed before a matching message is accepted. */
export interface BeforeSendRequest {
  conversationType: number;
  targetId: string;
  channelId?: string;
  senderId: string;
  objectName: string;
  content: Record<string, unknown>;
}

/**
 * The app server's answer: pass as is, refuse (with its own code, passed on in the 422's
 * details), or pass with a replacement content (validated like a sent content).
 */
export const BeforeSendAnswer = z.union([
  z.object({ pass: z.literal(true), replace: z.object({ content: z.record(z.string(), z.unknown()) }).optional() }),
  z.object({ pass: z.literal(false), code: z.union([z.string().max(128), z.number()]).optional() }),
]);
export type BeforeSendAnswer = z.infer<typeof BeforeSendAnswer>;

/**
 * What a post-send receiver gets: the event's envelope fields. `id` is the event id, also the
 * signature id (`webhook-id`), the same on every retry: the receiver drops a repeat by it.
 */
export interface PostSendDelivery {
  id: string;
  type: string;
  source: string;
  time: string;
  data: unknown;
}
