import { Actor, CreateRedPacketBody, parseOrThrow, RedPacketId } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { Caller, IdempotencyKey } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

@Controller('v1/red-packets')
export class RedPacketsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** Sent as the paying user, with Idempotency-Key = the payment id: created exactly once. */
  @Post()
  create(@Caller() actor: Actor, @IdempotencyKey() idempotencyKey: string | undefined, @Body() body: unknown) {
    return this.rpc.call('expansions', 'redpackets.create', { actor, idempotencyKey, body: parseOrThrow(CreateRedPacketBody, body, 'body') });
  }

  @Post(':redPacketId/claims')
  @HttpCode(200)
  claim(@Caller() actor: Actor, @Param('redPacketId') redPacketId: string) {
    return this.rpc.call('expansions', 'redpackets.claim', { actor, redPacketId: parseOrThrow(RedPacketId, redPacketId, 'redPacketId') });
  }

  @Get(':redPacketId')
  get(@Caller() actor: Actor, @Param('redPacketId') redPacketId: string) {
    return this.rpc.call('expansions', 'redpackets.get', { actor, redPacketId: parseOrThrow(RedPacketId, redPacketId, 'redPacketId') });
  }
}
