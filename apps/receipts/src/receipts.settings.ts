import { ConfigOf, defineConfig, envVar, EnvTypes, readConfig } from '@im/service-kit';

/** The receipts service's own knobs, from the environment unless a test passes them in. */
export const RECEIPTS_SETTINGS = Symbol('RECEIPTS_SETTINGS');

export const receiptsSpec = defineConfig({
  /** After a flush that told senders something, wait this long: at most one update per message per interval. */
  flushIntervalMs: envVar('RECEIPTS_FLUSH_INTERVAL_MS', EnvTypes.positive(), 50),
  /** How often an idle flusher looks for new reads when no notification came (a fallback: queued changes notify it). */
  idlePollMs: envVar('RECEIPTS_IDLE_POLL_MS', EnvTypes.positive(), 1000),
  /** Most queued changes one flush takes. */
  flushBatch: envVar('RECEIPTS_FLUSH_BATCH', EnvTypes.int(1), 2000),
  /** How long a read past the last known message waits for the view to catch up before a 422. */
  aheadWaitMs: envVar('RECEIPTS_AHEAD_WAIT_MS', EnvTypes.positive(), 2000),
});

export type ReceiptsSettings = ConfigOf<typeof receiptsSpec>;

export function receiptsSettings(env: NodeJS.ProcessEnv = process.env, overrides: Partial<ReceiptsSettings> = {}): ReceiptsSettings {
  return readConfig(receiptsSpec, env, overrides);
}
