import { Actor, BatchUpsertUsersBody, EntityId, parseOrThrow, TokenBody, UpsertUserBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { signUserToken } from '../auth/user-token';
import { GatewayConfig } from '../gateway.config';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { GATEWAY_CONFIG, RPC_CLIENT } from '../tokens';

@Controller('v1/users')
export class UsersController {
  constructor(
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Put(':userId')
  @ServerKeyOnly()
  upsert(@Caller() actor: Actor, @Param('userId') userId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'users.upsert', {
      actor,
      userId: parseOrThrow(EntityId, userId, 'userId'),
      body: parseOrThrow(UpsertUserBody, body, 'body'),
    });
  }

  /** Up to 1,000 profiles at once; sending the same batch again changes nothing. */
  @Post('batch')
  @HttpCode(200)
  @ServerKeyOnly()
  upsertMany(@Caller() actor: Actor, @Body() body: unknown) {
    return this.rpc.call('messaging', 'users.upsertMany', { actor, body: parseOrThrow(BatchUpsertUsersBody, body, 'body') });
  }

  /** Issues a signed token for an existing user. */
  @Post(':userId/token')
  @HttpCode(200)
  @ServerKeyOnly()
  async token(@Caller() actor: Actor, @Param('userId') userId: string, @Body() body: unknown) {
    const { ttlSeconds } = parseOrThrow(TokenBody, body ?? {}, 'body');
    const user = await this.rpc.call('messaging', 'users.get', { actor, userId: parseOrThrow(EntityId, userId, 'userId') });
    const expiresAt = Date.now() + (ttlSeconds ?? this.config.tokenTtlSeconds) * 1000;
    return { userId: user.userId, token: signUserToken({ sub: user.userId, exp: expiresAt }, this.config.tokenSecret), expiresAt };
  }
}
