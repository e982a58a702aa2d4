import { Actor, parseOrThrow, SendMessageBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Inject, Post } from '@nestjs/common';
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
}
