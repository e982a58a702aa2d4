import { z } from 'zod';
import type { PushReplies, PushView as PushViewType } from '../rpc/push.rpc';
import { mirror } from './mirror';

/** Reply schemas of the device, notification and push-log routes (`rpc/push.rpc.ts`). */
export const DeviceView = mirror<PushReplies['devices.register']>()(
  z.object({ deviceId: z.string(), platform: z.enum(['webhook', 'webpush']), registeredAt: z.number().int() }).meta({ id: 'Device' }),
);

export const DeviceRemoved = mirror<PushReplies['devices.remove']>()(z.object({ deviceId: z.string(), removed: z.literal(true) }));

export const WebPushKey = mirror<PushReplies['devices.webpushKey']>()(z.object({ publicKey: z.string().describe('the VAPID public key (applicationServerKey)') }));

export const NotificationView = mirror<PushReplies['notifications.update']>()(z.object({ conversationType: z.number().int(), targetId: z.string(), muted: z.boolean() }));

const PushAttempt = z.object({
  attempt: z.number().int(),
  at: z.number().int(),
  outcome: z.enum(['sent', 'retry', 'failed', 'skipped']),
  httpStatus: z.number().int().nullable(),
  error: z.string().nullable(),
});

export const PushView = mirror<PushViewType>()(
  z
    .object({
      pushId: z.string(),
      userId: z.string(),
      deviceId: z.string(),
      platform: z.enum(['webhook', 'webpush']),
      messageUId: z.string(),
      kind: z.enum(['message', 'recall']),
      conversationType: z.number().int(),
      targetId: z.string(),
      title: z.string().nullable(),
      body: z.string(),
      badge: z.number().int().nullable(),
      status: z.enum(['pending', 'sending', 'sent', 'failed', 'skipped']),
      reason: z.string().nullable(),
      createdAt: z.number().int(),
      attempts: z.array(PushAttempt),
    })
    .meta({ id: 'Push' }),
);

export const PushesPage = mirror<PushReplies['pushes.list']>()(z.object({ pushes: z.array(PushView), hasMore: z.boolean(), nextBefore: z.number().int().nullable() }));
