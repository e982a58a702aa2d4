import { SERVICES } from '@im/contracts';
import { ConsumerHealth, Nats, RpcClient } from '@im/eventstore';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/auth.guard';
import { GATEWAY_NATS, RPC_CLIENT } from '../tokens';

interface ServiceHealth {
  consumers?: ConsumerHealth[] | null;
}

/**
 * Ready only when NATS is connected and every service answers its health request. Alongside,
 * each service's projection consumers: lag (stream messages not applied yet, and seconds since
 * the checkpoint last moved while behind) and parked count. They inform, they do not decide
 * readiness: a parked message is an operator's business, not a reason to take traffic away.
 */
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
      SERVICES.map((s) =>
        this.rpc.raw(s, 'health', {}, 1000).then(
          (r) => ({ status: 'ok' as const, consumers: (r as ServiceHealth | null)?.consumers ?? null }),
          () => ({ status: 'down' as const, consumers: null }),
        ),
      ),
    );
    const services = Object.fromEntries(SERVICES.map((s, i) => [s, answers[i].status]));
    const consumers = Object.fromEntries(SERVICES.map((s, i) => [s, answers[i].consumers]));
    const ready = nats === 'ok' && answers.every((a) => a.status === 'ok');
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', nats, services, consumers });
  }
}
