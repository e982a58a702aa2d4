import { Actor, MessageUId, parseOrThrow, PatchExpansionBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Get, Inject, Param, Patch } from '@nestjs/common';
import { Caller } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

@Controller('v1/messages/:messageUId/expansion')
export class ExpansionsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** Set, remove or clear keys, optionally compare-and-set per key; returns the keys after. */
  @Patch()
  patch(@Caller() actor: Actor, @Param('messageUId') messageUId: string, @Body() body: unknown) {
    return this.rpc.call('expansions', 'expansions.patch', {
      actor,
      messageUId: parseOrThrow(MessageUId, messageUId, 'messageUId'),
      body: parseOrThrow(PatchExpansionBody, body, 'body'),
    });
  }

  @Get()
  get(@Caller() actor: Actor, @Param('messageUId') messageUId: string) {
    return this.rpc.call('expansions', 'expansions.get', { actor, messageUId: parseOrThrow(MessageUId, messageUId, 'messageUId') });
  }
}
