import { Actor, AddMembersBody, EntityId, parseOrThrow, UpsertGroupBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Delete, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

@Controller('v1/groups')
@ServerKeyOnly()
export class GroupsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Put(':groupId')
  upsert(@Caller() actor: Actor, @Param('groupId') groupId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'groups.upsert', {
      actor,
      groupId: parseOrThrow(EntityId, groupId, 'groupId'),
      body: parseOrThrow(UpsertGroupBody, body, 'body'),
    });
  }

  @Post(':groupId/members')
  @HttpCode(200)
  add(@Caller() actor: Actor, @Param('groupId') groupId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'groups.members.add', {
      actor,
      groupId: parseOrThrow(EntityId, groupId, 'groupId'),
      body: parseOrThrow(AddMembersBody, body, 'body'),
    });
  }

  @Delete(':groupId/members/:userId')
  remove(@Caller() actor: Actor, @Param('groupId') groupId: string, @Param('userId') userId: string) {
    return this.rpc.call('messaging', 'groups.members.remove', {
      actor,
      groupId: parseOrThrow(EntityId, groupId, 'groupId'),
      userId: parseOrThrow(EntityId, userId, 'userId'),
    });
  }
}
