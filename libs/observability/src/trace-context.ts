import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';

/**
 * The W3C trace context (https://www.w3.org/TR/trace-context/) of the work at hand: the gateway
 * takes it from `traceparent` (or starts one), RPC requests carry it in a NATS header, events
 * in their envelope, and every log line written meanwhile names it (`trace_id`), so one send can
 * be followed through every service's logs.
 */
export interface TraceContext {
  traceId: string;
  /** The current span: the parent of whatever this work calls. */
  spanId: string;
  /** Sampled flag as received (01 unless a caller said otherwise). */
  flags: string;
  /** The gateway's request id (X-Request-Id), where there is one. */
  requestId?: string;
}

export const traceStore = new AsyncLocalStorage<TraceContext>();

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/** The parent a `traceparent` value names, or undefined when it is absent or not valid (then a new trace starts). */
export function parseTraceparent(value: string | undefined | null): Omit<TraceContext, 'requestId'> | undefined {
  if (!value || value.length !== 55) return undefined;
  const m = TRACEPARENT.exec(value.toLowerCase());
  if (!m || m[1] === ZERO_TRACE || m[2] === ZERO_SPAN) return undefined;
  return { traceId: m[1], spanId: m[2], flags: m[3] };
}

export function formatTraceparent(ctx: Pick<TraceContext, 'traceId' | 'spanId' | 'flags'>): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`;
}

/**
 * Ids from a pool of random bytes refilled 4 KB at a time: a fresh randomBytes() per request and
 * per span was ~0.1 ms of the gateway's CPU per request under load (profile of cpu-per-message).
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

export const newTraceId = (): string => randomHex(16);
export const newSpanId = (): string => randomHex(8);

/** The traceparent to hand on to whatever the current work calls or writes, if any. */
export function currentTraceparent(): string | undefined {
  const ctx = traceStore.getStore();
  return ctx ? formatTraceparent(ctx) : undefined;
}
