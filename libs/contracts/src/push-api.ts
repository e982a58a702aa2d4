import { z } from 'zod';
import { EntityId } from './ids';

/** Request schemas of the push endpoints (gateway edge and push service edge), and the push itself. */

/** A client's own name for one of its devices: unique per user, not across users. */
export const DeviceId = z.string().regex(/^[A-Za-z0-9_=+\-.:@]{1,128}$/, 'deviceId is 1-128 characters of A-Z a-z 0-9 _ = + - . : @');

/** Most devices one user may register; registering one more is refused (422). */
export const MAX_DEVICES_PER_USER = 20;

/**
 * Where the push service will POST: http(s), no user name or password in it (they would be sent
 * to whoever the host is). Which addresses it may reach is the push service's check.
 */
const HttpUrl = z
  .string()
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), 'an http(s) URL')
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), 'a URL without credentials');

/** The browser's PushSubscription JSON (`subscription.toJSON()`). */
export const WebPushSubscription = z.object({
  endpoint: HttpUrl,
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    p256dh: z.string().regex(/^[A-Za-z0-9_-]{80,100}={0,2}$/, 'keys.p256dh is the base64url P-256 public key'),
    auth: z.string().regex(/^[A-Za-z0-9_-]{16,32}={0,2}$/, 'keys.auth is the base64url 16-byte secret'),
  }),
});
export type WebPushSubscription = z.infer<typeof WebPushSubscription>;

/**
 * `POST /v1/devices`: a webhook (the app's push relay, signed with `secret`) or a browser's Web
 * Push subscription. Registering the same deviceId again replaces it.
 */
export const RegisterDeviceBody = z.discriminatedUnion('platform', [
  z.strictObject({
    deviceId: DeviceId,
    platform: z.literal('webhook'),
    url: HttpUrl,
    secret: z.string().min(16, 'secret has at least 16 characters').max(256),
  }),
  z.strictObject({
    deviceId: DeviceId,
    platform: z.literal('webpush'),
    subscription: WebPushSubscription,
  }),
]);
export type RegisterDeviceBody = z.infer<typeof RegisterDeviceBody>;

/** `PUT /v1/conversations/{type}/{targetId}/notification`. */
export const NotificationBody = z.strictObject({ muted: z.boolean() });

/** `GET /v1/admin/pushes?userId=`: the newest pushes first; `before` is the `nextBefore` of the previous page. */
export const AdminPushesQuery = z.strictObject({
  userId: EntityId,
  limit: z.coerce.number().int().min(1).max(500).default(100),
  before: z.coerce.number().int().positive().optional(),
});

/**
 * What a device receives: the webhook's JSON body (signed: `X-Signature: sha256=<hex HMAC-SHA256
 * of "<X-Signature-Id>.<X-Signature-Timestamp>.<raw body>" keyed with the device's secret>`, see
 * the push README) and the Web Push payload (encrypted).
 */
export interface PushPayload {
  userId: string;
  deviceId: string;
  messageUId: string;
  conversationType: number;
  /** The conversation as the recipient addresses it: the sender in private, the group in groups. */
  targetId: string;
  /** null when the sender set `disablePushTitle`. */
  title: string | null;
  body: string;
  /** The recipient's total unread count when the push left. */
  badge: number;
  data: {
    /** `message` for a new message, `recall` for "recalled a message". */
    kind: 'message' | 'recall';
    pushId: string;
    senderId: string;
    /** The message's type (for a recall, the recalled message's). */
    objectName: string;
    /** null for a message that is not stored (a command message with pushContent). */
    seq: number | null;
    /** When the message was sent; for a recall, when it was recalled. */
    sentTime: number;
    /** The send's `pushData` as given, null without one (and in a recall's push). */
    pushData: string | null;
  };
}
