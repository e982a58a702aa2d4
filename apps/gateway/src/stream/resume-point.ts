import { ResyncReason } from '@im/realtime';

/** Where a device asks to resume: nowhere (a fresh stream), after an id, or after something unreadable. */
export type ResumeRequest = { kind: 'fresh' } | { kind: 'after'; seq: number } | { kind: 'malformed' };

/** The `Last-Event-ID` header wins over the `lastEventId` query (a new EventSource cannot set the header). */
export function resumeRequest(header: string | undefined, query: string | undefined): ResumeRequest {
  const raw = header ?? query;
  if (raw === undefined || raw === '') return { kind: 'fresh' };
  if (!/^\d{1,15}$/.test(raw.trim())) return { kind: 'malformed' };
  return { kind: 'after', seq: Number(raw.trim()) };
}

export interface StreamBounds {
  /** The oldest sequence still stored (NATS says last + 1 once everything aged out, 0 for a new stream). */
  first_seq: number;
  last_seq: number;
}

/**
 * Where to start reading the delivery stream, and whether the device must be told to resync
 * first. An id past the end is from another stream (a reset, another deployment); one whose
 * successor aged out may have lost deliveries of this user. Both start live, from the end.
 */
export function startAfter(request: ResumeRequest, bounds: StreamBounds): { after: number; resync?: ResyncReason } {
  const live = bounds.last_seq;
  if (request.kind === 'fresh') return { after: live };
  if (request.kind === 'malformed') return { after: live, resync: 'malformed' };
  if (request.seq > bounds.last_seq) return { after: live, resync: 'unknown' };
  if (request.seq + 1 < bounds.first_seq) return { after: live, resync: 'too_old' };
  return { after: request.seq };
}
