import { z } from 'zod';
import type { ServiceName } from './subjects';
import { MESSAGING_CALLBACK_RPC, MessagingCallbackReplies, PUSH_CALLBACK_RPC, PushCallbackReplies } from './rpc/callbacks.rpc';
import { EXPANSIONS_RPC, ExpansionsReplies } from './rpc/expansions.rpc';
import { MESSAGING_RPC, MessagingReplies } from './rpc/messaging.rpc';
import { PUSH_RPC, PushReplies } from './rpc/push.rpc';
import { RECEIPTS_RPC, ReceiptsReplies } from './rpc/receipts.rpc';

export * from './rpc/callbacks.rpc';
export * from './rpc/expansions.rpc';
export * from './rpc/internal.rpc';
export * from './rpc/messaging.rpc';
export * from './rpc/push.rpc';
export * from './rpc/receipts.rpc';

/**
 * Every request/reply method a service answers on `im.rpc.<service>.<method>`: its request
 * schema (validated again by the service, which must not trust its callers) and reply type,
 * one file per service.
 */
export const RPC = {
  messaging: { ...MESSAGING_RPC, ...MESSAGING_CALLBACK_RPC },
  expansions: EXPANSIONS_RPC,
  receipts: RECEIPTS_RPC,
  push: { ...PUSH_RPC, ...PUSH_CALLBACK_RPC },
} as const satisfies Record<ServiceName, Record<string, z.ZodType>>;

export interface RpcReplies {
  messaging: MessagingReplies & MessagingCallbackReplies;
  expansions: ExpansionsReplies;
  receipts: ReceiptsReplies;
  push: PushReplies & PushCallbackReplies;
}

export type RpcMethod<S extends ServiceName> = keyof (typeof RPC)[S] & string;
export type RpcRequest<S extends ServiceName, M extends RpcMethod<S>> = (typeof RPC)[S][M] extends z.ZodType
  ? z.input<(typeof RPC)[S][M]>
  : never;
export type RpcParsed<S extends ServiceName, M extends RpcMethod<S>> = (typeof RPC)[S][M] extends z.ZodType
  ? z.output<(typeof RPC)[S][M]>
  : never;
export type RpcReply<S extends ServiceName, M extends string> = M extends keyof RpcReplies[S] ? RpcReplies[S][M] : never;

/** The envelope of every RPC reply: a result or a named error. */
export type RpcResponse<T> = { ok: true; result: T } | { ok: false; error: { code: string; message: string; status: number; details?: unknown } };
