import { Actor, parseOrThrow, RegisterMessageTypeBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Inject, Param, Put } from '@nestjs/common';
import { Caller, ServerKeyOnly } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

@Controller('v1/message-types')
@ServerKeyOnly()
export class MessageTypesController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** Registers (or changes) a custom message type such as `app:red_packet`. */
  @Put(':objectName')
  register(@Caller() actor: Actor, @Param('objectName') objectName: string, @Body() body: unknown) {
    return this.rpc.call('messaging', 'message-types.register', { actor, objectName, body: parseOrThrow(RegisterMessageTypeBody, body, 'body') });
  }
}
