import { z } from 'zod';
import type { BeforeSendView as BeforeSendViewType, MessagingCallbackReplies, PostSendView as PostSendViewType, PushCallbackReplies } from '../rpc/callbacks.rpc';
import { mirror } from './mirror';

/** Reply schemas of `/v1/callbacks` (`rpc/callbacks.rpc.ts`); the secret is never answered. */
export const PostSendCallbackView = mirror<PostSendViewType>()(
  z.object({ url: z.string(), events: z.array(z.string()), configuredAt: z.number().int() }).meta({ id: 'PostSendCallback' }),
);

export const BeforeSendCallbackView = mirror<BeforeSendViewType>()(
  z
    .object({
      url: z.string(),
      timeoutMs: z.number().int(),
      objectNames: z.array(z.string()).nullable(),
      onTimeout: z.enum(['allow', 'reject']),
      configuredAt: z.number().int(),
    })
    .meta({ id: 'BeforeSendCallback' }),
);

export const CallbackRemoved = mirror<PushCallbackReplies['callbacks.postSend.remove']>()(z.object({ removed: z.literal(true) }));

export const PostSendCallbackState = mirror<PushCallbackReplies['callbacks.postSend.get']>()(z.object({ postSend: PostSendCallbackView.nullable() }));
export const BeforeSendCallbackState = mirror<MessagingCallbackReplies['callbacks.beforeSend.get']>()(z.object({ beforeSend: BeforeSendCallbackView.nullable() }));

/** `GET /v1/callbacks`: both, null where none is configured. */
export const CallbacksList = z.object({ postSend: PostSendCallbackView.nullable(), beforeSend: BeforeSendCallbackView.nullable() });
