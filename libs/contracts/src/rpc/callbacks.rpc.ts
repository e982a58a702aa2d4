import { z } from 'zod';
import { Actor } from '../api';
import { BeforeSendCallbackBody, PostSendCallbackBody } from '../callbacks-api';

/** The callback methods, added to the push (post-send) and messaging (before-send) maps. The secret is never answered. */
export interface PostSendView {
  url: string;
  events: string[];
  configuredAt: number;
}

export interface BeforeSendView {
  url: string;
  timeoutMs: number;
  objectNames: string[] | null;
  onTimeout: 'allow' | 'reject';
  configuredAt: number;
}

export const PUSH_CALLBACK_RPC = {
  'callbacks.postSend.set': z.strictObject({ actor: Actor, body: PostSendCallbackBody }),
  'callbacks.postSend.get': z.strictObject({ actor: Actor }),
  'callbacks.postSend.remove': z.strictObject({ actor: Actor }),
} as const;

export interface PushCallbackReplies {
  'callbacks.postSend.set': PostSendView;
  /** null when none is configured. */
  'callbacks.postSend.get': { postSend: PostSendView | null };
  'callbacks.postSend.remove': { removed: true };
}

export const MESSAGING_CALLBACK_RPC = {
  'callbacks.beforeSend.set': z.strictObject({ actor: Actor, body: BeforeSendCallbackBody }),
  'callbacks.beforeSend.get': z.strictObject({ actor: Actor }),
  'callbacks.beforeSend.remove': z.strictObject({ actor: Actor }),
} as const;

export interface MessagingCallbackReplies {
  'callbacks.beforeSend.set': BeforeSendView;
  'callbacks.beforeSend.get': { beforeSend: BeforeSendView | null };
  'callbacks.beforeSend.remove': { removed: true };
}
