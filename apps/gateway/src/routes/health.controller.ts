import { SERVICES } from '@im/contracts';
import { ConsumerHealth, Nats, RpcClient } from '@im/eventstore';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/auth.guard';
import { GATEWAY_NATS, RPC_CLIENT } from '../tokens';

interface ServiceHealth {
  ready?: boolean;
  checks?: Record<string, string>;
  consumers?: ConsumerHealth[] | null;
}

/** A service's health answer within the deadline, or `down`. */
type Answer = { status: 'ok'; health: ServiceHealth | null } | { status: 'down'; health: null };

const HEALTH_RPC_TIMEOUT_MS = 1000;

/**
 * `/health/live`: the process answers. `/health/ready`: NATS is connected and every service
 * answers its health request and says it is ready (its Postgres, NATS, relay and consumers'
 * lag); 503 names what is not. `/health` (as before): ready when NATS is connected and every
 * service answers, with each service's projection consumers alongside (lag and parked count):
 * they inform, a parked message is an operator's business, not a reason to take traffic away.
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
    const nats = this.natsStatus();
    const answers = await this.askServices();
    const services = Object.fromEntries(SERVICES.map((s, i) => [s, answers[i].status]));
    const consumers = Object.fromEntries(SERVICES.map((s, i) => [s, answers[i].health?.consumers ?? null]));
    const ready = nats === 'ok' && answers.every((a) => a.status === 'ok');
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', nats, services, consumers });
  }

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res() reply: FastifyReply) {
    const answers = await this.askServices();
    const checks: Record<string, string> = { nats: this.natsStatus() };
    SERVICES.forEach((s, i) => (checks[s] = verdict(answers[i])));
    const notReady = Object.entries(checks).filter(([, v]) => v !== 'ok').map(([k]) => k);
    void reply.status(notReady.length === 0 ? 200 : 503).send({ status: notReady.length === 0 ? 'ok' : 'unavailable', notReady, checks });
  }

  private natsStatus(): 'ok' | 'down' {
    return this.nats.nc.isClosed() ? 'down' : 'ok';
  }

  private askServices(): Promise<Answer[]> {
    return Promise.all(
      SERVICES.map((s) =>
        this.rpc.raw(s, 'health', {}, HEALTH_RPC_TIMEOUT_MS).then(
          (r): Answer => ({ status: 'ok', health: (r as ServiceHealth | null) ?? null }),
          (): Answer => ({ status: 'down', health: null }),
        ),
      ),
    );
  }
}

/** `ok`, `down` (no answer), or the service's own checks that failed. */
function verdict(a: Answer): string {
  if (a.status === 'down') return 'down';
  if (a.health?.ready !== false) return 'ok';
  const failed = Object.entries(a.health.checks ?? {}).filter(([, v]) => v !== 'ok');
  return `not ready: ${failed.map(([k, v]) => `${k} ${v}`).join('; ')}`;
}
