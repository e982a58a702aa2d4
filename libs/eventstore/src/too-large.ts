import { EventEnvelope } from '@im/contracts';
import { JetStreamApiError } from '@nats-io/jetstream';

/**
 * What the relay publishes in place of an event that cannot travel: the envelope without its
 * data. Events are sized at write time (append.ts), so this is for what got past that: an
 * event stored before the limit existed, a server with a smaller max_payload, a stream with a
 * max_msg_size. The relay must neither stall on such an event (nothing after it would be
 * published again) nor drop it silently (it was accepted, and a consumer counting sequences
 * would never learn of it). The event itself stays in the owner's `events` table; the
 * tombstone keeps its id, type, subject and position in the stream, so a consumer parks it as
 * a permanent failure that an operator can see, and the projection moves on.
 */
export interface TooLargeEnvelope extends Omit<EventEnvelope, 'data'> {
  data: null;
  tooLarge: true;
  /** The size of the envelope that did not fit, in bytes. */
  bytes: number;
}

export function tooLargeEnvelope(envelope: EventEnvelope, bytes: number): TooLargeEnvelope {
  const { data: _data, ...rest } = envelope;
  return { ...rest, data: null, tooLarge: true, bytes };
}

export function isTooLargeEnvelope(envelope: unknown): envelope is TooLargeEnvelope {
  return typeof envelope === 'object' && envelope !== null && (envelope as { tooLarge?: unknown }).tooLarge === true;
}

/** Room for what travels with the body in one NATS message: the Nats-Msg-Id header (~64 bytes). */
export const PUBLISH_HEADER_ROOM = 256;

/**
 * A publish refused for its size, which no retry can fix: the client's own check against the
 * server's max_payload, or the server's refusal (a stream's max_msg_size, JetStream error 10054).
 */
export function isTooLargeError(e: unknown): boolean {
  if (e instanceof JetStreamApiError && e.code === 10054) return true;
  return e instanceof Error && /max_payload|message size exceeds/i.test(e.message);
}
