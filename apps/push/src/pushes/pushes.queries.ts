import { cutToBytes, Errors, PushAttemptView, PushView, RpcParsed, RpcReply } from '@im/contracts';
import { DB } from '@im/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { Kysely, sql } from 'kysely';
import type { DB as PushDB } from '../db.generated';

/** For operators: a user's pushes, newest first, each with every attempt; pages bounded by count and bytes. */
@Injectable()
export class PushesQueries {
  constructor(@Inject(DB) private readonly db: Kysely<PushDB>) {}

  async list({ actor, query }: RpcParsed<'push', 'pushes.list'>): Promise<RpcReply<'push', 'pushes.list'>> {
    if (!actor.isServer) throw Errors.forbidden('push records are for operators (server key)');
    const { rows } = await sql<PushRow>`
      SELECT j.*, coalesce(
               (SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'outcome', a.outcome,
                                                  'httpStatus', a.http_status, 'error', a.error) ORDER BY a.attempt)
                  FROM push_attempts a WHERE a.push_id = j.push_id), '[]') AS attempt_list
        FROM push_jobs j
       WHERE j.user_id = ${query.userId} ${query.before !== undefined ? sql`AND j.push_id < ${query.before}` : sql``}
       ORDER BY j.push_id DESC
       LIMIT ${query.limit + 1}`.execute(this.db);
    // The extra row only says whether more follow; the byte cut keeps the reply in one NATS message.
    const { items, cut } = cutToBytes(rows.slice(0, query.limit).map(toView));
    const hasMore = cut || rows.length > query.limit;
    return { pushes: items, hasMore, nextBefore: hasMore ? Number(items[items.length - 1].pushId) : null };
  }
}

interface PushRow {
  push_id: string;
  user_id: string;
  device_id: string;
  platform: 'webhook' | 'webpush';
  message_uid: string;
  kind: 'message' | 'recall';
  conversation_type: number;
  target_id: string;
  title: string | null;
  body: string;
  badge: number | null;
  status: PushView['status'];
  reason: string | null;
  created_at: string;
  attempt_list: Array<Omit<PushAttemptView, 'at'> & { at: string | number }>;
}

function toView(r: PushRow): PushView {
  return {
    pushId: String(r.push_id),
    userId: r.user_id,
    deviceId: r.device_id,
    platform: r.platform,
    messageUId: r.message_uid,
    kind: r.kind,
    conversationType: r.conversation_type,
    targetId: r.target_id,
    title: r.title,
    body: r.body,
    badge: r.badge,
    status: r.status,
    reason: r.reason,
    createdAt: Number(r.created_at),
    attempts: r.attempt_list.map((a) => ({ ...a, at: Number(a.at) })),
  };
}
