import { AppError } from '@im/contracts';
import { Logger } from '@nestjs/common';

export const DROPPED_NOTICES = Symbol('DROPPED_NOTICES');

/**
 * Grey-bar notices messaging refused for good (the reader left the group, say), counted by the
 * refusal's code and logged at warn. Dropping one changes nothing else: the claim and its money
 * were committed before any notice is sent, and the other notices still go.
 */
export class DroppedNotices {
  private readonly logger = new Logger('claim-notices');
  private readonly counts = new Map<string, number>();
  total = 0;

  record(e: AppError, notice: { userId: string; redPacketId: string; idempotencyKey: string }): void {
    this.total += 1;
    this.counts.set(e.code, (this.counts.get(e.code) ?? 0) + 1);
    this.logger.warn(
      `notice ${notice.idempotencyKey} to ${notice.userId} (red packet ${notice.redPacketId}) dropped: ${e.status} ${e.code} ${e.message}`,
    );
  }

  /** Counts by refusal code, for metrics and health. */
  byCode(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
