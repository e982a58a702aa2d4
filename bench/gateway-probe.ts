/**
 * A gateway started exactly as `apps/gateway/src/main.ts` starts it, which also answers memory
 * probes from `bench:fanout` over IPC: a full garbage collection, then `process.memoryUsage()`.
 * Run with `--expose-gc`, so what is measured is what the open streams keep alive.
 */
import '../apps/gateway/src/main';

process.on('message', (m) => {
  if (m !== 'memory') return;
  (globalThis as { gc?: () => void }).gc?.();
  process.send?.(process.memoryUsage());
});
