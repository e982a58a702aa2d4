import { Actor, AddMembersBody, EntityId, NamedChannelId, parseOrThrow, UpsertChannelBody, UpsertUltraGroupBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Delete, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** Ultra groups: members as for groups (once for every channel), and named channels. */
@Controller('v1/ultra-groups')
@ServerKeyOnly()
export class UltraGroupsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Put(':ultraGroupId')
  upsert(@Caller() actor: Actor, @Param('ultraGroupId') id: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'ultraGroups.upsert', {
      actor,
      ultraGroupId: parseOrThrow(EntityId, id, 'ultraGroupId'),
      body: parseOrThrow(UpsertUltraGroupBody, body, 'body'),
    });
  }

  @Post(':ultraGroupId/members')
  @HttpCode(200)
  add(@Caller() actor: Actor, @Param('ultraGroupId') id: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'ultraGroups.members.add', {
      actor,
      ultraGroupId: parseOrThrow(EntityId, id, 'ultraGroupId'),
      body: parseOrThrow(AddMembersBody, body, 'body'),
    });
  }

  @Delete(':ultraGroupId/members/:userId')
  remove(@Caller() actor: Actor, @Param('ultraGroupId') id: string, @Param('userId') userId: string) {
    return this.rpc.call('messaging', 'ultraGroups.members.remove', {
      actor,
      ultraGroupId: parseOrThrow(EntityId, id, 'ultraGroupId'),
      userId: parseOrThrow(EntityId, userId, 'userId'),
    });
  }

  @Put(':ultraGroupId/channels/:channelId')
  upsertChannel(@Caller() actor: Actor, @Param('ultraGroupId') id: string, @Param('channelId') channelId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'ultraGroups.channels.upsert', {
      actor,
      ultraGroupId: parseOrThrow(EntityId, id, 'ultraGroupId'),
      channelId: parseOrThrow(NamedChannelId, channelId, 'channelId'),
      body: parseOrThrow(UpsertChannelBody, body, 'body'),
    });
  }
}
