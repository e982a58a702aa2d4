import { PushPayload } from '@im/contracts';
import { PresenceBoard } from '@im/realtime';
import { AppMetrics } from '@im/observability';
import { Clock, CLOCK, CONFIG, DB, METRICS, ServiceRuntime } from '@im/service-kit';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { IDLE_SCAN_MS, Pacer, PUSH_WAKE, WakeSignal } from '../pacer';
import { PUSH_SETTINGS, PushSettings } from '../push.settings';
import { DevicesService } from '../devices/devices.service';
import { Badges } from './badges';
import { claimDue, ClaimedJob, contextOf, failInterrupted, JobContext, JobResult } from './push-jobs.store';
import { PushTransport } from './push-transport';
import { isPermanent, recheck, retryDelay } from './push.rules';
import { ResultRecorder } from './result-recorder';
import type { DB as PushDB } from '../db.generated';

export const PUSH_PRESENCE = Symbol('PUSH_PRESENCE');
export const PUSH_TRANSPORT = Symbol('PUSH_TRANSPORT');
export const PUSH_BADGES = Symbol('PUSH_BADGES');

/** A recall waiting for its message's push to finish looks again this much later. */
const POSTPONE_MS = 200;
/** A push whose receiver had no free slot (nor room in its queue) is claimed again this much later. */
const BUSY_POSTPONE_MS = 250;

/**
 * Drains the push outbox. Any replica may run it: `FOR UPDATE SKIP LOCKED` hands each due job to
 * one of them and a lease marks it in flight; each job is re-checked just before sending, sent,
 * and its outcome recorded with the attempt. Failures are retried with exponential backoff, then
 * recorded as failed. A round hands its sends to the transport and does not wait for them, so
 * the next round starts while a slow receiver runs into its deadline; at most `concurrency`
 * jobs are claimed and unfinished at a time.
 */
@Injectable()
export class PushWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ticker: Pacer;
  private readonly recorder: ResultRecorder;
  /** Sends handed to the transport and not finished. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Jobs claimed (or about to be) and not finished: what the next claim must leave room for. */
  private busy = 0;

  constructor(
    @Inject(DB) private readonly db: Kysely<PushDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: { options: { background?: boolean } },
    @Inject(PUSH_SETTINGS) private readonly settings: PushSettings,
    @Inject(PUSH_PRESENCE) private readonly presence: PresenceBoard,
    @Inject(PUSH_TRANSPORT) private readonly transport: PushTransport,
    @Inject(PUSH_BADGES) private readonly badges: Badges,
    private readonly devices: DevicesService,
    private readonly runtime: ServiceRuntime,
    @Inject(METRICS) private readonly metrics: AppMetrics,
    @Inject(PUSH_WAKE) wake: WakeSignal,
  ) {
    this.ticker = new Pacer('push-worker', settings.scanMs, Math.max(settings.scanMs, IDLE_SCAN_MS), () => this.drain());
    wake.connect((delayMs) => this.ticker.wake(delayMs));
    this.recorder = new ResultRecorder(db, () => this.clock.now().getTime());
  }

  onApplicationBootstrap(): void {
    if (this.config.options.background !== false) this.ticker.start(this.runtime.ready);
  }

  /** Stops claiming, lets the sends in flight finish (each within its deadline) and records them. */
  async onApplicationShutdown(): Promise<void> {
    await this.ticker.stop();
    await Promise.all(this.inFlight);
    await this.recorder.settled();
    this.transport.close();
  }

  /**
   * Rounds while there is a backlog and room; returns how many jobs were claimed. Several lanes
   * run rounds side by side (each claims its own jobs), so one round's database work overlaps
   * another's.
   */
  async drain(): Promise<number> {
    this.recorder.flush();
    let total = 0;
    const lane = async () => {
      while (!this.ticker.stopping) {
        const room = Math.min(this.settings.batchSize, this.settings.concurrency - this.busy);
        if (room <= 0) return;
        const n = await this.round(room);
        total += n;
        if (n < room) return;
      }
    };
    await Promise.all(Array.from({ length: this.settings.lanes }, lane));
    return total;
  }

  /** Claims up to `room` jobs; records the ones re-checked away, starts the others' sends. */
  async round(room: number): Promise<number> {
    this.busy += room;
    let jobs: ClaimedJob[] = [];
    try {
      const now = this.clock.now().getTime();
      await failInterrupted(this.db, now);
      jobs = await claimDue(this.db, now, now + this.settings.leaseMs, room);
      // start() fails only before it finishes or dispatches any job (reading their context):
      // those jobs stay leased and are recorded as interrupted when the lease ends.
      try {
        if (jobs.length > 0) await this.start(jobs, now);
      } catch (e) {
        this.busy -= jobs.length;
        throw e;
      }
      return jobs.length;
    } finally {
      this.busy -= room - jobs.length;
    }
  }

  private async start(jobs: ClaimedJob[], now: number): Promise<void> {
    const context = await contextOf(this.db, jobs.map((j) => String(j.push_id)));
    const settled: JobResult[] = [];
    const toSend: Array<{ job: ClaimedJob; ctx: JobContext }> = [];
    for (const job of jobs) {
      const ctx = context.get(String(job.push_id))!;
      const verdict = recheck({
        kind: job.kind,
        seq: job.seq,
        devicePresent: ctx.platform !== null,
        recalled: ctx.recalled,
        readSeq: ctx.read_seq,
        originalStatus: ctx.original_status,
        online: this.presence.isOnline(job.user_id),
      });
      if (verdict === 'send') toSend.push({ job, ctx });
      else if (verdict === 'postpone') settled.push(this.result(job, 'pending', null, { dueAt: now + POSTPONE_MS }));
      else settled.push(this.result(job, 'skipped', verdict.skip, { attempt: { outcome: 'skipped', httpStatus: null, error: verdict.skip } }));
    }
    let badges: Map<string, number> | null = null;
    try {
      badges = await this.badgesFor(toSend.map((i) => i.job));
    } catch (e) {
      const error = `badge unavailable: ${(e as Error).message}`;
      settled.push(...toSend.splice(0).map(({ job }) => this.failure(job, now, null, error)));
    }
    for (const r of settled) this.finish(r);
    for (const { job, ctx } of toSend) this.dispatch(job, ctx, badges!.get(job.user_id) ?? 0, now);
  }

  /** Starts one send; the transport holds it until its origin has a free slot (within its deadline). */
  private dispatch(job: ClaimedJob, ctx: JobContext, badge: number, now: number): void {
    const sending: Promise<void> = this.sendOne(job, ctx, badge, now)
      .catch((e) => this.failure(job, now, null, `send failed: ${(e as Error).message}`, badge))
      .then((r) => this.finish(r))
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  private finish(result: JobResult): void {
    this.busy -= 1;
    // Put back until a known time (a retry, a busy receiver, a recall waiting): a round then.
    if (result.status === 'pending' && result.dueAt !== null) this.ticker.wake(result.dueAt - this.clock.now().getTime());
    this.metrics.pushes.inc({ outcome: result.attempt?.outcome ?? 'postponed' });
    this.recorder.add(result);
  }

  private async sendOne(job: ClaimedJob, ctx: JobContext, badge: number, now: number): Promise<JobResult> {
    const payload = payloadOf(job, badge);
    const out = await this.transport.send({ platform: ctx.platform!, url: ctx.url, secret: ctx.secret, subscription: ctx.subscription }, payload);
    if (out.ok) return this.result(job, 'sent', null, { badge, attempt: { outcome: 'sent', httpStatus: out.httpStatus, error: null } });
    if (out.deferred) return this.result(job, 'pending', null, { dueAt: now + BUSY_POSTPONE_MS });
    if (ctx.platform === 'webpush' && (out.httpStatus === 404 || out.httpStatus === 410)) {
      // The browser dropped the subscription: it will never work again.
      await this.devices.forget(job.user_id, job.device_id).catch(() => undefined);
    }
    return this.failure(job, now, out.httpStatus, out.error ?? 'failed', badge, out.permanent);
  }

  private failure(job: ClaimedJob, now: number, httpStatus: number | null, error: string, badge: number | null = null, permanent = false): JobResult {
    const last = permanent || job.attempts >= this.settings.maxAttempts || isPermanent(httpStatus);
    if (last) return this.result(job, 'failed', error, { badge, attempt: { outcome: 'failed', httpStatus, error } });
    // From when the attempt failed, not when its round began: the worker is woken at exactly that time.
    const dueAt = Math.max(now, this.clock.now().getTime()) + retryDelay(this.settings.retryBaseMs, job.attempts);
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
      const g = groups.get(key) ?? { after: counted ? { conversationId: j.conversation_id, seq: j.seq! } : undefined, users: [] };
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
      seq: job.seq,
      sentTime: job.sent_time,
      pushData: job.push_data,
    },
  };
}
