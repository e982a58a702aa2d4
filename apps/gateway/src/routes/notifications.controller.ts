import { Actor, ConversationPath, ConversationView, NotificationBody, parseOrThrow } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Inject, Param, Put } from '@nestjs/common';
import { Caller } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** Mute per conversation: a muted conversation pushes only mentions. */
@Controller('v1/conversations')
export class NotificationsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Put(':type/:targetId/notification')
  update(@Caller() actor: Actor, @Param() params: unknown, @Body() body: unknown) {
    const { type, targetId } = parseOrThrow(ConversationPath, params, 'path');
    return this.rpc.call('push', 'notifications.update', { actor, conversationType: type, targetId, body: parseOrThrow(NotificationBody, body, 'body') });
  }
}

/** Marks the muted conversations of a list; without the push service the list is still served. */
export async function withMuted<L extends { conversations: ConversationView[] }>(rpc: RpcClient, actor: Actor, list: L): Promise<L> {
  if (!actor.userId || list.conversations.length === 0) return list;
  const muted = await rpc.call('push', 'notifications.muted', { actor }).catch(() => ({ conversations: [] }));
  const keys = new Set(muted.conversations.map((c) => `${c.conversationType}:${c.targetId}`));
  return { ...list, conversations: list.conversations.map((c) => ({ ...c, muted: keys.has(`${c.conversationType}:${c.targetId}`) })) };
}
