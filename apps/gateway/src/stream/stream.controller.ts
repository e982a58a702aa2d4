import { Actor, actingUser, EntityId, Errors, parseOrThrow, Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { ensureDeliveryStream, PresenceReporter } from '@im/realtime';
import { Controller, Get, Headers, Inject, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { Caller } from '../http/auth.guard';
import { GatewayConfig } from '../gateway.config';
import { GATEWAY_CONFIG, GATEWAY_NATS, PRESENCE, SUBJECTS_TOKEN } from '../tokens';
import { SseConnection } from './sse-connection';

export const StreamQuery = z.strictObject({ deviceId: EntityId, lastEventId: z.coerce.number().int().min(0).optional() });

/**
 * `GET /v1/stream?deviceId=`: one Server-Sent Events stream per device. Each event's `id` is
 * its delivery sequence; reconnecting with `Last-Event-ID` replays what was missed, in order.
 */
@Controller('v1/stream')
export class StreamController {
  constructor(
    @Inject(GATEWAY_NATS) private readonly nats: Nats,
    @Inject(SUBJECTS_TOKEN) private readonly subjects: Subjects,
    @Inject(PRESENCE) private readonly presence: PresenceReporter,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get()
  async stream(
    @Caller() actor: Actor,
    @Query() query: unknown,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Req() req: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const userId = actingUser(actor);
    const { lastEventId } = parseOrThrow(StreamQuery, query, 'query');
    const resumeFrom = lastEventIdHeader !== undefined ? parseLastEventId(lastEventIdHeader) : (lastEventId ?? null);
    await ensureDeliveryStream(this.nats.jsm, this.subjects);
    reply.hijack();
    const conn = new SseConnection(reply.raw, { nats: this.nats, subjects: this.subjects, userId, lastEventId: resumeFrom, heartbeatMs: this.config.heartbeatMs });
    req.raw.on('close', () => {
      conn.close();
      this.presence.closed(userId);
    });
    this.presence.opened(userId);
    await conn.open().catch(() => conn.close());
  }
}

function parseLastEventId(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw Errors.validation([{ path: 'Last-Event-ID', message: 'an event id from this stream' }], 'Last-Event-ID is not valid');
  return n;
}
