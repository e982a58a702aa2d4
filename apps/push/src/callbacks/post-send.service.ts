import { Errors, newEvent, PostSendView, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { OutboundClient } from '@im/outbound';
import { assertOutboundUrl, Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { PUSH_OUTBOUND } from '../push.settings';
import { PostSendConfig } from './post-send-config';
import type { DB as PushDB } from '../db.generated';

/** The event stream of the post-send callback's configuration (one per deployment). */
const STREAM = 'callback-post-send';

export const POST_SEND_CONFIG = Symbol('POST_SEND_CONFIG');

/**
 * The post-send callback: where every matching event is POSTed (post-send.worker.ts). Stored in
 * this service beside its outbox; each change is an event of this service's log. The URL is
 * checked by the same outbound policy that sending applies, before anything is stored. The
 * planner's copy in memory (post-send-config.ts) learns a change here once it committed.
 */
@Injectable()
export class PostSendService {
  constructor(
    @Inject(DB) private readonly db: Kysely<PushDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PUSH_OUTBOUND) private readonly outbound: OutboundClient,
    @Inject(POST_SEND_CONFIG) private readonly planned: PostSendConfig,
  ) {}

  async set({ actor, body }: RpcParsed<'push', 'callbacks.postSend.set'>): Promise<PostSendView> {
    if (!actor.isServer) throw Errors.forbidden('callbacks are for the app server (server key)');
    await assertOutboundUrl(this.outbound, 'url', body.url);
    const now = this.clock.now();
    const row = { url: body.url, secret: body.secret, events: body.events, configured_at: now.getTime() };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('post_send_callback').values({ id: 'app', ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
      const data = { url: body.url, events: body.events, configuredAt: row.configured_at };
      await appendToStream(trx, STREAM, 'any', [newEvent('callback.post-send.configured', data)], now);
    });
    this.planned.configured(body.events, row.configured_at);
    return { url: body.url, events: body.events, configuredAt: row.configured_at };
  }

  async get({ actor }: RpcParsed<'push', 'callbacks.postSend.get'>): Promise<RpcReply<'push', 'callbacks.postSend.get'>> {
    if (!actor.isServer) throw Errors.forbidden('callbacks are for the app server (server key)');
    const row = await this.db.selectFrom('post_send_callback').select(['url', 'events', 'configured_at']).executeTakeFirst();
    return { postSend: row ? { url: row.url, events: row.events, configuredAt: row.configured_at } : null };
  }

  /** Jobs not yet delivered are given up by the worker (there is nowhere to send them). */
  async remove({ actor }: RpcParsed<'push', 'callbacks.postSend.remove'>): Promise<RpcReply<'push', 'callbacks.postSend.remove'>> {
    if (!actor.isServer) throw Errors.forbidden('callbacks are for the app server (server key)');
    const now = this.clock.now();
    const reply = await this.db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('post_send_callback').returning('id').executeTakeFirst();
      if (!gone) throw Errors.notFound('post-send callback');
      await appendToStream(trx, STREAM, 'any', [newEvent('callback.post-send.removed', { removedAt: now.getTime() })], now);
      return { removed: true as const };
    });
    this.planned.removed(now.getTime());
    return reply;
  }
}
