import { Actor, AdminPushesQuery, parseOrThrow } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** Operators: every push and attempt for a user. */
@Controller('v1/admin/pushes')
@ServerKeyOnly()
export class AdminPushesController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Get()
  list(@Caller() actor: Actor, @Query() query: unknown) {
    return this.rpc.call('push', 'pushes.list', { actor, query: parseOrThrow(AdminPushesQuery, query, 'query') });
  }
}
