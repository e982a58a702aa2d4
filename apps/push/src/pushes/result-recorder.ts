import { Logger } from '@nestjs/common';
import { Kysely } from 'kysely';
import { JobResult, record } from './push-jobs.store';
import type { DB } from '../db.generated';

/**
 * Records outcomes as sends finish, not when a whole round has: a push to a fast receiver is
 * `sent` in the table while a slow one of the same round is still waiting for its deadline.
 * Outcomes that finish while a write is running go together in the next one, so under load
 * this is still one transaction per many pushes.
 */
export class ResultRecorder {
  private readonly logger = new Logger('push-worker');
  private readonly waiting: JobResult[] = [];
  private writing?: Promise<void>;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly now: () => number,
  ) {}

  add(result: JobResult): void {
    this.waiting.push(result);
    this.flush();
  }

  /** Writes what is waiting unless a write is running (which writes it next). A failed write keeps its outcomes for the next flush. */
  flush(): void {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = (async () => {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0);
        try {
          await record(this.db, batch, this.now());
        } catch (e) {
          this.waiting.unshift(...batch);
          this.logger.warn(`recording ${batch.length} push outcomes failed, will retry: ${(e as Error).message}`);
          return;
        }
      }
    })().finally(() => (this.writing = undefined));
  }

  /** Resolves once everything added so far is written (or its write failed). */
  async settled(): Promise<void> {
    while (this.writing) await this.writing;
  }
}
