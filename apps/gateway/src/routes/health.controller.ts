import { SERVICES } from '@im/contracts';
import { Nats, RpcClient } from '@im/eventstore';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/auth.guard';
import { GATEWAY_NATS, RPC_CLIENT } from '../tokens';

/** Ready only when NATS is connected and every service answers its health request. */
@Controller('health')
@Public()
export class HealthController {
  constructor(
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(GATEWAY_NATS) private readonly nats: Nats,
  ) {}

  @Get()
  async health(@Res() reply: FastifyReply) {
    const nats = this.nats.nc.isClosed() ? 'down' : 'ok';
    const answers = await Promise.all(
      SERVICES.map((s) => this.rpc.raw(s, 'health', {}, 1000).then(() => 'ok' as const, () => 'down' as const)),
    );
    const services = Object.fromEntries(SERVICES.map((s, i) => [s, answers[i]]));
    const ready = nats === 'ok' && answers.every((a) => a === 'ok');
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', nats, services });
  }
}
