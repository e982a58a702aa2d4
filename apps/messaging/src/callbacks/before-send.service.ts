import { BeforeSendView, Errors, newEvent, RpcParsed, RpcReply } from '@im/contracts';
import { appendToStream } from '@im/eventstore';
import { assertOutboundUrl, Clock, CLOCK, DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely } from 'kysely';
import { BeforeSendCache } from './before-send.cache';
import type { DB as MessagingDB } from '../db.generated';

/** The event stream of the before-send callback's configuration (one per deployment). */
const STREAM = 'callback-before-send';

/** Registration checks use the policy sends use; the deadline only bounds the lookup. */
const CHECK_DEADLINE_MS = 5000;

/**
 * The before-send callback's configuration. Messaging owns it because it asks the app server
 * synchronously during a send: the row and its event are written together here, and every
 * replica's cache follows the events.
 */
@Injectable()
export class BeforeSendService {
  constructor(
    @Inject(DB) private readonly db: Kysely<MessagingDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly cache: BeforeSendCache,
  ) {}

  async set({ actor, body }: RpcParsed<'messaging', 'callbacks.beforeSend.set'>): Promise<BeforeSendView> {
    assertServer(actor.isServer);
    const checker = this.cache.client(CHECK_DEADLINE_MS);
    try {
      await assertOutboundUrl(checker, 'url', body.url);
    } finally {
      checker.close();
    }
    const now = this.clock.now();
    const view: BeforeSendView = { url: body.url, timeoutMs: body.timeoutMs, objectNames: body.objectNames ?? null, onTimeout: body.onTimeout, configuredAt: now.getTime() };
    const row = { url: view.url, secret: body.secret, timeout_ms: view.timeoutMs, object_names: view.objectNames, on_timeout: view.onTimeout, configured_at: view.configuredAt };
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('before_send_callback').values({ id: 'app', ...row }).onConflict((oc) => oc.column('id').doUpdateSet(row)).execute();
      await appendToStream(trx, STREAM, 'any', [newEvent('callback.before-send.configured', view)], now);
    });
    await this.cache.reload();
    return view;
  }

  async get({ actor }: RpcParsed<'messaging', 'callbacks.beforeSend.get'>): Promise<RpcReply<'messaging', 'callbacks.beforeSend.get'>> {
    assertServer(actor.isServer);
    const row = await this.db.selectFrom('before_send_callback').selectAll().executeTakeFirst();
    if (!row) return { beforeSend: null };
    return { beforeSend: { url: row.url, timeoutMs: row.timeout_ms, objectNames: row.object_names ?? null, onTimeout: row.on_timeout, configuredAt: row.configured_at } };
  }

  async remove({ actor }: RpcParsed<'messaging', 'callbacks.beforeSend.remove'>): Promise<RpcReply<'messaging', 'callbacks.beforeSend.remove'>> {
    assertServer(actor.isServer);
    const now = this.clock.now();
    await this.db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom('before_send_callback').returning('id').executeTakeFirst();
      if (!gone) throw Errors.notFound('before-send callback');
      await appendToStream(trx, STREAM, 'any', [newEvent('callback.before-send.removed', { removedAt: now.getTime() })], now);
    });
    await this.cache.reload();
    return { removed: true };
  }
}

function assertServer(isServer: boolean): void {
  if (!isServer) throw Errors.forbidden('callbacks are for the app server (server key)');
}
