/**
 * The CloudEvents-style envelope every domain event travels in, on JetStream and on the
 * real-time stream. `id` is also the NATS message id, so a re-publish is deduplicated.
 */
export interface EventEnvelope<T = unknown> {
  specversion: '1.0';
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  dataversion: number;
  /** The event's global position in its service's log. */
  position: string;
  /**
   * The W3C trace context of the request that caused the event (the CloudEvents distributed
   * tracing extension), so its consumers' work joins the same trace. Absent on events written
   * before it was recorded, or outside any request.
   */
  traceparent?: string;
  data: T;
}
