import { Actor, ConversationListQuery, ConversationPath, HistoryQuery, parseOrThrow } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { Caller } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

@Controller('v1/conversations')
export class ConversationsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Get()
  list(@Caller() actor: Actor, @Query() query: unknown) {
    return this.rpc.call('messaging', 'conversations.list', { actor, query: parseOrThrow(ConversationListQuery, query, 'query') });
  }

  @Get(':type/:targetId/messages')
  history(@Caller() actor: Actor, @Param() params: unknown, @Query() query: unknown) {
    const { type, targetId } = parseOrThrow(ConversationPath, params, 'path');
    return this.rpc.call('messaging', 'conversations.history', {
      actor,
      conversationType: type,
      targetId,
      query: parseOrThrow(HistoryQuery, query, 'query'),
    });
  }
}
