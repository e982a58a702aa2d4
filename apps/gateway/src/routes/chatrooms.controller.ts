import {
  Actor,
  ChatroomAttributeKey,
  DeleteChatroomAttributeBody,
  EntityId,
  parseOrThrow,
  SetChatroomAttributeBody,
  UpsertChatroomBody,
} from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** Chatrooms (type 4): created by the app backend, joined and left by users, with attributes. */
@Controller('v1/chatrooms')
export class ChatroomsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Put(':chatroomId')
  @ServerKeyOnly()
  upsert(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'chatrooms.upsert', { actor, chatroomId: id(chatroomId), body: parseOrThrow(UpsertChatroomBody, body, 'body') });
  }

  @Delete(':chatroomId')
  @ServerKeyOnly()
  delete(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string) {
    return this.rpc.call('messaging', 'chatrooms.delete', { actor, chatroomId: id(chatroomId) });
  }

  @Get(':chatroomId')
  get(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string) {
    return this.rpc.call('messaging', 'chatrooms.get', { actor, chatroomId: id(chatroomId) });
  }

  /** Joins the caller (a user token) or X-User-Id (the server key); answers with the latest messages. */
  @Post(':chatroomId/members')
  @HttpCode(200)
  join(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string) {
    return this.rpc.call('messaging', 'chatrooms.join', { actor, chatroomId: id(chatroomId) });
  }

  @Delete(':chatroomId/members/me')
  leave(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string) {
    return this.rpc.call('messaging', 'chatrooms.leave', { actor, chatroomId: id(chatroomId) });
  }

  @Get(':chatroomId/attributes')
  attributes(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string) {
    return this.rpc.call('messaging', 'chatrooms.attributes.list', { actor, chatroomId: id(chatroomId) });
  }

  @Put(':chatroomId/attributes/:key')
  setAttribute(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string, @Param('key') key: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'chatrooms.attributes.set', {
      actor,
      chatroomId: id(chatroomId),
      key: parseOrThrow(ChatroomAttributeKey, key, 'key'),
      body: parseOrThrow(SetChatroomAttributeBody, body, 'body'),
    });
  }

  @Delete(':chatroomId/attributes/:key')
  deleteAttribute(@Caller() actor: Actor, @Param('chatroomId') chatroomId: string, @Param('key') key: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'chatrooms.attributes.delete', {
      actor,
      chatroomId: id(chatroomId),
      key: parseOrThrow(ChatroomAttributeKey, key, 'key'),
      body: parseOrThrow(DeleteChatroomAttributeBody, body ?? {}, 'body'),
    });
  }
}

const id = (chatroomId: string) => parseOrThrow(EntityId, chatroomId, 'chatroomId');
