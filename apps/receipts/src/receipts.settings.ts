/** The receipts service's own knobs, from the environment unless a test passes them in. */
export const RECEIPTS_SETTINGS = Symbol('RECEIPTS_SETTINGS');

export interface ReceiptsSettings {
  /** After a flush that told senders something, wait this long: at most one update per message per interval. */
  flushIntervalMs: number;
  /** How often an idle flusher looks for new reads when no notification came (a fallback: queued changes notify it). */
  idlePollMs: number;
  /** Most queued changes one flush takes. */
  flushBatch: number;
  /** How long a read past the last known message waits for the view to catch up before a 422. */
  aheadWaitMs: number;
}

export function receiptsSettings(env: NodeJS.ProcessEnv = process.env): ReceiptsSettings {
  return {
    flushIntervalMs: Number(env.RECEIPTS_FLUSH_INTERVAL_MS ?? 50),
    idlePollMs: Number(env.RECEIPTS_IDLE_POLL_MS ?? 1000),
    flushBatch: Number(env.RECEIPTS_FLUSH_BATCH ?? 2000),
    aheadWaitMs: Number(env.RECEIPTS_AHEAD_WAIT_MS ?? 2000),
  };
}
