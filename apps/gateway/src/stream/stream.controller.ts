import { Actor, actingUser, Errors, parseOrThrow, Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { ensureDeliveryStream, PresenceReporter } from '@im/realtime';
import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import { resolveActor } from '../auth/actor';
import { GatewayConfig } from '../gateway.config';
import { Caller, Public } from '../http/auth.guard';
import { GATEWAY_CONFIG, GATEWAY_NATS, PRESENCE, STREAM_REGISTRY, STREAM_TICKETS, SUBJECTS_TOKEN } from '../tokens';
import { resumeRequest } from './resume-point';
import { SseConnection } from './sse-connection';
import { StreamRegistry } from './stream-registry';
import { StreamQuery, StreamTicketBody } from './stream.schemas';
import { StreamTickets } from './stream-tickets';

/**
 * `GET /v1/stream?deviceId=`: one Server-Sent Events stream per device. Each event's `id` is
 * its delivery sequence; reconnecting with `Last-Event-ID` replays what was missed, in order.
 * Credentials are a user token (or the server key with X-User-Id), or a one-time `ticket`.
 */
@Controller('v1/stream')
export class StreamController {
  constructor(
    @Inject(GATEWAY_NATS) private readonly nats: Nats,
    @Inject(SUBJECTS_TOKEN) private readonly subjects: Subjects,
    @Inject(PRESENCE) private readonly presence: PresenceReporter,
    @Inject(STREAM_REGISTRY) private readonly registry: StreamRegistry,
    @Inject(STREAM_TICKETS) private readonly tickets: StreamTickets,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Post('tickets')
  @HttpCode(201)
  async ticket(@Caller() actor: Actor, @Body() body: unknown) {
    const { deviceId } = parseOrThrow(StreamTicketBody, body ?? {}, 'body');
    return this.tickets.issue({ userId: actingUser(actor), deviceId: deviceId ?? null });
  }

  @Get()
  @Public()
  async stream(@Query() query: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const q = parseOrThrow(StreamQuery, query, 'query');
    const { userId, deviceId } = await this.whoAndWhich(q, req);
    await ensureDeliveryStream(this.nats.jsm, this.subjects, this.config.streamReplaySeconds);
    reply.hijack();
    let announced = false;
    const conn = new SseConnection(reply.raw, {
      nats: this.nats,
      subjects: this.subjects,
      userId,
      deviceId,
      resume: resumeRequest(header(req, 'last-event-id'), q.lastEventId),
      heartbeatMs: this.config.heartbeatMs,
      maxBufferedBytes: this.config.streamMaxBufferedBytes,
      drainTimeoutMs: this.config.streamDrainTimeoutMs,
      headers: reply.getHeaders() as OutgoingHttpHeaders,
      onSubscribed: () => {
        announced = true;
        this.presence.opened(userId, deviceId);
      },
      onClose: () => {
        this.registry.remove(conn);
        if (announced) this.presence.closed(userId, deviceId);
      },
    });
    req.raw.on('close', () => conn.close());
    this.registry.add(conn);
    await conn.open().catch(() => conn.close());
  }

  /** The user from the ticket or the Authorization header; the device from the ticket or the query. */
  private async whoAndWhich(q: { deviceId?: string; ticket?: string }, req: FastifyRequest): Promise<{ userId: string; deviceId: string }> {
    const grant = q.ticket !== undefined ? await this.tickets.redeem(q.ticket) : null;
    const userId = grant ? grant.userId : actingUser(resolveActor(req.headers, this.config, Date.now()));
    const deviceId = grant?.deviceId ?? q.deviceId;
    if (deviceId === undefined) throw Errors.validation([{ path: 'deviceId', message: 'required (in the query or the ticket)' }], 'Invalid query: deviceId');
    if (grant?.deviceId && q.deviceId !== undefined && q.deviceId !== grant.deviceId) {
      throw Errors.validation([{ path: 'deviceId', message: 'not the device the ticket was issued for' }], 'Invalid query: deviceId');
    }
    return { userId, deviceId };
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
