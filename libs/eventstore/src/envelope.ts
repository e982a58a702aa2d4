import { EventEnvelope, EVENTS, EventType, ServiceName } from '@im/contracts';

export interface StoredEventRow {
  global_position: number;
  event_id: string;
  stream_id: string;
  type: string;
  data_version: number;
  data: unknown;
  occurred_at: Date;
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
    data: row.data,
  };
}

export function isKnownEvent(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(EVENTS, type);
}
