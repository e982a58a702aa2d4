import { Actor, MessageUId, parseOrThrow, RecallBody, SendMessageBody, StreamAppendBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { Caller, IdempotencyKey } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

@Controller('v1/messages')
export class MessagesController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** 201 once durable in the messaging event log; a retried Idempotency-Key returns the first result. */
  @Post()
  send(@Caller() actor: Actor, @IdempotencyKey() idempotencyKey: string | undefined, @Body() body: unknown) {
    return this.rpc.call('messaging', 'messages.send', { actor, idempotencyKey, body: parseOrThrow(SendMessageBody, body, 'body') });
  }

  /** The sender within the recall window; the server key with `isAdmin` at any time. */
  @Post(':messageUId/recall')
  @HttpCode(200)
  recall(@Caller() actor: Actor, @Param('messageUId') messageUId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'messages.recall', {
      actor,
      messageUId: parseOrThrow(MessageUId, messageUId, 'messageUId'),
      body: parseOrThrow(RecallBody, body ?? {}, 'body'),
    });
  }

  /** Appends the next chunk of an RC:StreamMsg. */
  @Post(':messageUId/stream')
  @HttpCode(200)
  stream(@Caller() actor: Actor, @Param('messageUId') messageUId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'messages.stream', {
      actor,
      messageUId: parseOrThrow(MessageUId, messageUId, 'messageUId'),
      body: parseOrThrow(StreamAppendBody, body, 'body'),
    });
  }
}
