import { AppMetrics } from '@im/observability';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../http/auth.guard';
import { GATEWAY_METRICS } from '../tokens';

/** `GET /metrics`: the gateway's series in Prometheus text (each service serves its own on METRICS_PORT). */
@Controller('metrics')
@Public()
export class MetricsController {
  constructor(@Inject(GATEWAY_METRICS) private readonly metrics: AppMetrics) {}

  @Get()
  async scrape(@Res() reply: FastifyReply) {
    void reply.header('content-type', this.metrics.contentType).send(await this.metrics.text());
  }
}
