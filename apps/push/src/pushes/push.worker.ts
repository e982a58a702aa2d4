import { PushPayload } from '@im/contracts';
import { PresenceBoard } from '@im/realtime';
import { Clock, CLOCK, CONFIG, DB, ServiceRuntime, Ticker } from '@im/service-kit';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { PUSH_SETTINGS, PushSettings } from '../push.settings';
import { DevicesService } from '../devices/devices.service';
import { Badges } from './badges';
import { claimDue, ClaimedJob, contextOf, failInterrupted, JobContext, JobResult, record } from './push-jobs.store';
import { PushTransport } from './push-transport';
import { isPermanent, recheck, retryDelay } from './push.rules';

export const PUSH_PRESENCE = Symbol('PUSH_PRESENCE');
export const PUSH_TRANSPORT = Symbol('PUSH_TRANSPORT');
export const PUSH_BADGES = Symbol('PUSH_BADGES');

/** A recall waiting for its message's push to finish looks again this much later. */
const POSTPONE_MS = 200;

/**
 * Drains the push outbox. Any replica may run it: `FOR UPDATE SKIP LOCKED` hands each due job to
 * one of them and a lease marks it in flight; each job is re-checked just before sending, sent,
 * and its outcome recorded with the attempt. Failures are retried with exponential backoff, then
 * recorded as failed.
 */
@Injectable()
export class PushWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ticker: Ticker;

  constructor(
    @Inject(DB) private readonly db: Kysely<any>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: { options: { background?: boolean } },
    @Inject(PUSH_SETTINGS) private readonly settings: PushSettings,
    @Inject(PUSH_PRESENCE) private readonly presence: PresenceBoard,
    @Inject(PUSH_TRANSPORT) private readonly transport: PushTransport,
    @Inject(PUSH_BADGES) private readonly badges: Badges,
    private readonly devices: DevicesService,
    private readonly runtime: ServiceRuntime,
  ) {
    this.ticker = new Ticker('push-worker', settings.scanMs, () => this.drain());
  }

  onApplicationBootstrap(): void {
    if (this.config.options.background !== false) this.ticker.start(this.runtime.ready);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ticker.stop();
    this.transport.close();
  }

  /**
   * Rounds until nothing is due; returns how many jobs were handled. Several lanes run rounds side
   * by side (each claims its own jobs), so one round's database work overlaps another's sending.
   */
  async drain(): Promise<number> {
    let total = 0;
    const lane = async () => {
      for (;;) {
        const n = await this.round();
        total += n;
        if (n < this.settings.batchSize || this.ticker.stopping) return;
      }
    };
    await Promise.all(Array.from({ length: this.settings.lanes }, lane));
    return total;
  }

  async round(): Promise<number> {
    const now = this.clock.now().getTime();
    await failInterrupted(this.db, now);
    const jobs = await claimDue(this.db, now, now + this.settings.leaseMs, this.settings.batchSize);
    if (jobs.length === 0) return 0;
    const context = await contextOf(this.db, jobs.map((j) => String(j.push_id)));
    const results: JobResult[] = [];
    const toSend: Array<{ job: ClaimedJob; ctx: JobContext }> = [];
    for (const job of jobs) {
      const ctx = context.get(String(job.push_id))!;
      const verdict = recheck({
        kind: job.kind,
        seq: job.seq === null ? null : Number(job.seq),
        devicePresent: ctx.platform !== null,
        recalled: ctx.recalled,
        readSeq: Number(ctx.read_seq),
        originalStatus: ctx.original_status,
        online: this.presence.isOnline(job.user_id),
      });
      if (verdict === 'send') toSend.push({ job, ctx });
      else if (verdict === 'postpone') results.push(this.result(job, 'pending', null, { dueAt: now + POSTPONE_MS }));
      else results.push(this.result(job, 'skipped', verdict.skip, { attempt: { outcome: 'skipped', httpStatus: null, error: verdict.skip } }));
    }
    results.push(...(await this.sendAll(toSend, now)));
    await record(this.db, results, this.clock.now().getTime());
    return jobs.length;
  }

  private async sendAll(items: Array<{ job: ClaimedJob; ctx: JobContext }>, now: number): Promise<JobResult[]> {
    let badges: Map<string, number>;
    try {
      badges = await this.badgesFor(items.map((i) => i.job));
    } catch (e) {
      const error = `badge unavailable: ${(e as Error).message}`;
      return items.map(({ job }) => this.failure(job, now, null, error));
    }
    // All at once: the transport holds each request until its origin and the process have a
    // free slot (within the request's deadline), so a slow receiver delays only its own pushes.
    return Promise.all(items.map(({ job, ctx }) => this.sendOne(job, ctx, badges.get(job.user_id) ?? 0, now)));
  }

  private async sendOne(job: ClaimedJob, ctx: JobContext, badge: number, now: number): Promise<JobResult> {
    const payload = payloadOf(job, badge);
    const out = await this.transport.send({ platform: ctx.platform!, url: ctx.url, secret: ctx.secret, subscription: ctx.subscription }, payload);
    if (out.ok) return this.result(job, 'sent', null, { badge, attempt: { outcome: 'sent', httpStatus: out.httpStatus, error: null } });
    if (ctx.platform === 'webpush' && (out.httpStatus === 404 || out.httpStatus === 410)) {
      // The browser dropped the subscription: it will never work again.
      await this.devices.forget(job.user_id, job.device_id).catch(() => undefined);
    }
    return this.failure(job, now, out.httpStatus, out.error ?? 'failed', badge, out.permanent);
  }

  private failure(job: ClaimedJob, now: number, httpStatus: number | null, error: string, badge: number | null = null, permanent = false): JobResult {
    const last = permanent || job.attempts >= this.settings.maxAttempts || isPermanent(httpStatus);
    if (last) return this.result(job, 'failed', error, { badge, attempt: { outcome: 'failed', httpStatus, error } });
    const dueAt = now + retryDelay(this.settings.retryBaseMs, job.attempts);
    return this.result(job, 'pending', error, { badge, dueAt, attempt: { outcome: 'retry', httpStatus, error } });
  }

  private result(job: ClaimedJob, status: JobResult['status'], reason: string | null, extra: Partial<JobResult>): JobResult {
    return { pushId: String(job.push_id), attempts: job.attempts, status, reason, badge: null, dueAt: null, attempt: null, ...extra };
  }

  /** One messaging call per stored message (it waits until that message is counted), one for the rest (recalls, commands). */
  private async badgesFor(jobs: ClaimedJob[]): Promise<Map<string, number>> {
    const groups = new Map<string, { after?: { conversationId: string; seq: number }; users: string[] }>();
    for (const j of jobs) {
      const counted = j.kind === 'message' && j.seq !== null;
      const key = counted ? `${j.conversation_id}\u0000${j.seq}` : 'uncounted';
      const g = groups.get(key) ?? { after: counted ? { conversationId: j.conversation_id, seq: Number(j.seq) } : undefined, users: [] };
      g.users.push(j.user_id);
      groups.set(key, g);
    }
    const out = new Map<string, number>();
    for (const g of groups.values()) for (const [u, n] of await this.badges.totals(g.users, g.after)) out.set(u, n);
    return out;
  }
}

function payloadOf(job: ClaimedJob, badge: number): PushPayload {
  return {
    userId: job.user_id,
    deviceId: job.device_id,
    messageUId: job.message_uid,
    conversationType: job.conversation_type,
    targetId: job.target_id,
    title: job.title,
    body: job.body,
    badge,
    data: {
      kind: job.kind,
      pushId: String(job.push_id),
      senderId: job.sender_id,
      objectName: job.object_name,
      seq: job.seq === null ? null : Number(job.seq),
      sentTime: Number(job.sent_time),
      pushData: job.push_data,
    },
  };
}
