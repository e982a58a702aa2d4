import {
  Actor,
  ConversationPath,
  MarkReadBody,
  MessageUId,
  parseOrThrow,
  ReadersQuery,
  ReceiptsQuery,
  SendReceiptsBody,
  UserSettingsBody,
} from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, Query } from '@nestjs/common';
import { Caller } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** Read positions, per-message receipts and the read-receipt setting: all answered by the receipts service. */
@Controller('v1')
export class ReceiptsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** Forward only: an older seq is a no-op (200, `moved: false`). */
  @Post('conversations/:type/:targetId/read')
  @HttpCode(200)
  markRead(@Caller() actor: Actor, @Param() params: unknown, @Body() body: unknown) {
    const { type, targetId } = parseOrThrow(ConversationPath, params, 'path');
    return this.rpc.call('receipts', 'conversations.read', {
      actor,
      conversationType: type,
      targetId,
      body: parseOrThrow(MarkReadBody, body ?? {}, 'body'),
    });
  }

  /** RC:RRRspMsg: all or nothing, at most 100 messages of others that collect receipts. */
  @Post('receipts')
  @HttpCode(200)
  send(@Caller() actor: Actor, @Body() body: unknown) {
    return this.rpc.call('receipts', 'receipts.send', { actor, body: parseOrThrow(SendReceiptsBody, body, 'body') });
  }

  @Get('receipts')
  get(@Caller() actor: Actor, @Query() query: unknown) {
    const { messageUIds } = parseOrThrow(ReceiptsQuery, query, 'query');
    return this.rpc.call('receipts', 'receipts.get', { actor, messageUIds });
  }

  /** RC:RRReqMsg: the sender turns receipts on for a message already sent. */
  @Post('messages/:messageUId/receipt-request')
  @HttpCode(200)
  request(@Caller() actor: Actor, @Param('messageUId') messageUId: string) {
    return this.rpc.call('receipts', 'receipts.request', { actor, messageUId: parseOrThrow(MessageUId, messageUId, 'messageUId') });
  }

  @Get('messages/:messageUId/readers')
  readers(@Caller() actor: Actor, @Param('messageUId') messageUId: string, @Query() query: unknown) {
    return this.rpc.call('receipts', 'receipts.readers', {
      actor,
      messageUId: parseOrThrow(MessageUId, messageUId, 'messageUId'),
      query: parseOrThrow(ReadersQuery, query, 'query'),
    });
  }

  @Get('users/me/settings')
  settings(@Caller() actor: Actor) {
    return this.rpc.call('receipts', 'settings.get', { actor });
  }

  /** `{ readReceipts: false }`: the caller's reads are no longer reported to others. */
  @Put('users/me/settings')
  updateSettings(@Caller() actor: Actor, @Body() body: unknown) {
    return this.rpc.call('receipts', 'settings.update', { actor, body: parseOrThrow(UserSettingsBody, body, 'body') });
  }
}
