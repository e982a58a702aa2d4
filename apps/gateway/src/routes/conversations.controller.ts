import { Actor, ConversationListQuery, ConversationPath, HistoryQuery, parseOrThrow } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { Caller } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';
import { withReceipts } from './receipt-summaries';
import { withMuted } from './notifications.controller';

@Controller('v1/conversations')
export class ConversationsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** `muted` comes from the push service, which owns notification settings. */
  @Get()
  async list(@Caller() actor: Actor, @Query() query: unknown) {
    const list = await this.rpc.call('messaging', 'conversations.list', { actor, query: parseOrThrow(ConversationListQuery, query, 'query') });
    return withMuted(this.rpc, actor, list);
  }

  /** The caller's own messages carry their receipt summary. */
  @Get(':type/:targetId/messages')
  async history(@Caller() actor: Actor, @Param() params: unknown, @Query() query: unknown) {
    const { type, targetId } = parseOrThrow(ConversationPath, params, 'path');
    const page = await this.rpc.call('messaging', 'conversations.history', {
      actor,
      conversationType: type,
      targetId,
      query: parseOrThrow(HistoryQuery, query, 'query'),
    });
    return withReceipts(this.rpc, actor, page);
  }
}
