import { Actor, BeforeSendCallbackBody, parseOrThrow, PostSendCallbackBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Delete, Get, Inject, Put } from '@nestjs/common';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** The app server's callbacks: post-send lives in push (its outbox), before-send in messaging (asked during a send). */
@Controller('v1/callbacks')
@ServerKeyOnly()
export class CallbacksController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Get()
  async list(@Caller() actor: Actor) {
    const [post, before] = await Promise.all([this.rpc.call('push', 'callbacks.postSend.get', { actor }), this.rpc.call('messaging', 'callbacks.beforeSend.get', { actor })]);
    return { postSend: post.postSend, beforeSend: before.beforeSend };
  }

  @Put('post-send')
  setPostSend(@Caller() actor: Actor, @Body() body: unknown) {
    return this.rpc.call('push', 'callbacks.postSend.set', { actor, body: parseOrThrow(PostSendCallbackBody, body, 'body') });
  }

  @Delete('post-send')
  removePostSend(@Caller() actor: Actor) {
    return this.rpc.call('push', 'callbacks.postSend.remove', { actor });
  }

  @Put('before-send')
  setBeforeSend(@Caller() actor: Actor, @Body() body: unknown) {
    return this.rpc.call('messaging', 'callbacks.beforeSend.set', { actor, body: parseOrThrow(BeforeSendCallbackBody, body, 'body') });
  }

  @Delete('before-send')
  removeBeforeSend(@Caller() actor: Actor) {
    return this.rpc.call('messaging', 'callbacks.beforeSend.remove', { actor });
  }
}
