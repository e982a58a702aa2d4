import { EventEnvelope, EVENTS, EventType, ServiceName } from '@im/contracts';

export interface StoredEventRow {
  global_position: number;
  event_id: string;
  stream_id: string;
  type: string;
  data_version: number;
  data: unknown;
  occurred_at: Date;
  /** `{ traceparent }` when the append ran inside a traced request; `{}` on older rows. */
  metadata?: { traceparent?: unknown } | null;
}

export function toEnvelope(service: ServiceName, row: StoredEventRow): EventEnvelope {
  return {
    specversion: '1.0',
    id: row.event_id,
    type: row.type,
    source: `im/${service}`,
    subject: row.stream_id,
    time: row.occurred_at.toISOString(),
    datacontenttype: 'application/json',
    dataversion: row.data_version,
    position: String(row.global_position),
    ...(typeof row.metadata?.traceparent === 'string' ? { traceparent: row.metadata.traceparent } : {}),
    data: row.data,
  };
}

/** An event's metadata: the trace it was written in, when there is one. */
export function eventMetadataOf(traceparent: string | undefined): { traceparent?: string } {
  return traceparent ? { traceparent } : {};
}

/** The same, as the metadata column's JSON text. */
export function eventMetadata(traceparent: string | undefined): string {
  return JSON.stringify(eventMetadataOf(traceparent));
}

export function isKnownEvent(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENTS, type);
}
