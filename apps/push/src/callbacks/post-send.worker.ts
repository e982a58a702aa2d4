import { OutboundClient, OutboundError, signedHeaders } from '@im/outbound';
import { Clock, CLOCK, CONFIG, DB, ServiceRuntime } from '@im/service-kit';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Kysely } from 'kysely';
import { CALLBACK_WAKE, IDLE_SCAN_MS, Pacer, WakeSignal } from '../pacer';
import { PUSH_OUTBOUND, PUSH_SETTINGS, PushSettings } from '../push.settings';
import { retryDelay } from '../pushes/push.rules';
import { CallbackResult, claimDue, ClaimedCallback, recordResults, requeueInterrupted } from './callback-jobs.store';
import type { DB as PushDB } from '../db.generated';

/** A delivery whose receiver had no free slot (nor room in its queue) is claimed again this much later. */
const BUSY_POSTPONE_MS = 250;

/**
 * Delivers the post-send outbox through the push service's outbound engine (address policy at
 * connect time, whole-request deadline, answer cap, per-origin slots), signed like webhooks with
 * the event id as the signature id. A round claims the first unfinished job of each
 * conversation, sends them side by side and records them; while a round delivered something
 * the next starts at once, so a conversation's events follow each other at the receiver's pace.
 * Failures are retried with exponential backoff (CALLBACK_RETRY_BASE_MS), given up after
 * CALLBACK_MAX_ATTEMPTS; a refused address is given up at once.
 */
@Injectable()
export class PostSendWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly ticker: Pacer;

  constructor(
    @Inject(DB) private readonly db: Kysely<PushDB>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: { options: { background?: boolean } },
    @Inject(PUSH_SETTINGS) private readonly settings: PushSettings,
    @Inject(PUSH_OUTBOUND) private readonly outbound: OutboundClient,
    private readonly runtime: ServiceRuntime,
    @Inject(CALLBACK_WAKE) wake: WakeSignal,
  ) {
    this.ticker = new Pacer('post-send-worker', settings.scanMs, Math.max(settings.scanMs, IDLE_SCAN_MS), () => this.drain());
    wake.connect((delayMs) => this.ticker.wake(delayMs));
  }

  onApplicationBootstrap(): void {
    if (this.config.options.background !== false) this.ticker.start(this.runtime.ready);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ticker.stop();
  }

  /** Rounds while they deliver something; returns how many jobs were claimed. */
  async drain(): Promise<number> {
    let total = 0;
    while (!this.ticker.stopping) {
      const n = await this.round();
      total += n;
      if (n === 0) return total;
    }
    return total;
  }

  private async round(): Promise<number> {
    const now = this.clock.now().getTime();
    await requeueInterrupted(this.db, now);
    const jobs = await claimDue(this.db, now, now + this.settings.leaseMs, this.settings.batchSize);
    if (jobs.length === 0) return 0;
    const results = await Promise.all(jobs.map((job) => this.deliver(job, now)));
    const recordedAt = this.clock.now().getTime();
    await recordResults(this.db, results, recordedAt);
    for (const r of results) if (r.status === 'pending' && r.dueAt !== null) this.ticker.wake(r.dueAt - recordedAt);
    return jobs.length;
  }

  private async deliver(job: ClaimedCallback, now: number): Promise<CallbackResult> {
    const base = { jobId: String(job.job_id), attempts: job.attempts, dueAt: null, httpStatus: null, counted: true };
    if (!job.url || !job.secret) return { ...base, status: 'failed', error: 'the post-send callback was removed' };
    const signed = signedHeaders({ id: job.event_id, timestamp: Math.floor(now / 1000), body: job.body, secret: job.secret });
    try {
      const res = await this.outbound.post(job.url, { 'content-type': 'application/json', 'x-callback-id': job.event_id, ...signed }, job.body);
      if (res.status >= 200 && res.status < 300) return { ...base, status: 'sent', httpStatus: res.status, error: null };
      return this.failure(job, now, res.status, `HTTP ${res.status}`);
    } catch (e) {
      const kind = e instanceof OutboundError ? e.kind : null;
      if (kind === 'busy') return { ...base, status: 'pending', dueAt: now + BUSY_POSTPONE_MS, error: null, counted: false };
      return this.failure(job, now, null, ((e as Error).message || String(e)).slice(0, 500), kind === 'refused');
    }
  }

  private failure(job: ClaimedCallback, now: number, httpStatus: number | null, error: string, permanent = false): CallbackResult {
    const base = { jobId: String(job.job_id), attempts: job.attempts, httpStatus, error, counted: true };
    if (permanent || job.attempts >= this.settings.callbackMaxAttempts) return { ...base, status: 'failed', dueAt: null };
    // From when the attempt failed, not when its round began: the worker is woken at exactly that time.
    const failedAt = Math.max(now, this.clock.now().getTime());
    return { ...base, status: 'pending', dueAt: failedAt + retryDelay(this.settings.callbackRetryBaseMs, job.attempts) };
  }
}
