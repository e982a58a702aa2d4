import { Actor, DeviceId, parseOrThrow, RegisterDeviceBody } from '@im/contracts';
import { RpcClient } from '@im/eventstore';
import { Body, Controller, Delete, Get, Inject, Param, Post } from '@nestjs/common';
import { Caller } from '../http/auth.guard';
import { RPC_CLIENT } from '../tokens';

/** The caller's push devices: a webhook or a browser's Web Push subscription. */
@Controller('v1/devices')
export class DevicesController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  /** Registering a deviceId again replaces it, so a retry creates nothing new. */
  @Post()
  register(@Caller() actor: Actor, @Body() body: unknown) {
    return this.rpc.call('push', 'devices.register', { actor, body: parseOrThrow(RegisterDeviceBody, body, 'body') });
  }

  /** The VAPID public key (applicationServerKey) a browser subscribes with. */
  @Get('webpush-key')
  webpushKey(@Caller() actor: Actor) {
    return this.rpc.call('push', 'devices.webpushKey', { actor });
  }

  @Delete(':deviceId')
  remove(@Caller() actor: Actor, @Param('deviceId') deviceId: string) {
    return this.rpc.call('push', 'devices.remove', { actor, deviceId: parseOrThrow(DeviceId, deviceId, 'deviceId') });
  }
}
