import { z } from 'zod';
import { Actor } from '../api';
import { ConversationTypeSchema, EntityId } from '../ids';
import { AdminPushesQuery, DeviceId, NotificationBody, RegisterDeviceBody } from '../push-api';

/** The request/reply methods of the push service, and what they return. */
export interface DeviceView {
  deviceId: string;
  platform: 'webhook' | 'webpush';
  registeredAt: number;
}

export interface NotificationView {
  conversationType: number;
  targetId: string;
  muted: boolean;
}

export type PushStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

export interface PushAttemptView {
  attempt: number;
  at: number;
  outcome: 'sent' | 'retry' | 'failed' | 'skipped';
  httpStatus: number | null;
  error: string | null;
}

/** One push: a message (or its recall) for one device, with every attempt made. */
export interface PushView {
  pushId: string;
  userId: string;
  deviceId: string;
  platform: 'webhook' | 'webpush';
  messageUId: string;
  kind: 'message' | 'recall';
  conversationType: number;
  targetId: string;
  title: string | null;
  body: string;
  badge: number | null;
  status: PushStatus;
  /** Why it was skipped or failed: `recalled`, `read`, `online`, `device_removed`, `interrupted`, or the last error. */
  reason: string | null;
  createdAt: number;
  attempts: PushAttemptView[];
}

export const PUSH_RPC = {
  'devices.register': z.strictObject({ actor: Actor, body: RegisterDeviceBody }),
  'devices.remove': z.strictObject({ actor: Actor, deviceId: DeviceId }),
  /** The Web Push application server key (VAPID public key) a browser subscribes with. */
  'devices.webpushKey': z.strictObject({ actor: Actor }),
  'notifications.update': z.strictObject({ actor: Actor, conversationType: ConversationTypeSchema, targetId: EntityId, body: NotificationBody }),
  /** The caller's muted conversations (for `muted` in the conversation list). */
  'notifications.muted': z.strictObject({ actor: Actor }),
  'pushes.list': z.strictObject({ actor: Actor, query: AdminPushesQuery }),
} as const;

export interface PushReplies {
  'devices.register': DeviceView;
  'devices.remove': { deviceId: string; removed: true };
  'devices.webpushKey': { publicKey: string };
  'notifications.update': NotificationView;
  'notifications.muted': { conversations: NotificationView[] };
  /** A page can be shorter than `limit` (push texts are up to 128 KB): continue with `before=nextBefore` while `hasMore`. */
  'pushes.list': { pushes: PushView[]; hasMore: boolean; nextBefore: number | null };
}
