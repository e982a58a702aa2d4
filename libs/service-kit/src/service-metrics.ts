import { AppMetrics } from '@im/observability';
import { OutboxRelay, ProjectionConsumer } from '@im/eventstore';

/**
 * The event store's series for one service, computed at scrape time from what the relay and the
 * consumers keep anyway: the hot path pays nothing for them.
 */
export function registerEventStoreMetrics(metrics: AppMetrics, service: string, relay: () => OutboxRelay | undefined, consumers: () => ProjectionConsumer[]): void {
  metrics.gauge('im_projection_lag_seconds', 'Seconds the projection is behind its source stream (0 when caught up)', ['projection', 'stream'], (g) => {
    const now = Date.now();
    for (const c of consumers()) g.set({ projection: c.projectionName, stream: c.stream }, c.lagSeconds(now));
  });
  metrics.countedBy('im_projection_parked_total', 'Events the projection parked (stepped over as unappliable) since start', ['projection', 'stream'], (set) => {
    for (const c of consumers()) set({ projection: c.projectionName, stream: c.stream }, c.stats.parked);
  });
  metrics.gauge('im_relay_lag_seconds', 'Seconds the oldest committed event has waited to be published (0 when none waits)', ['service'], (g) => {
    g.set({ service }, relay()?.lagSeconds() ?? 0);
  });
  metrics.countedBy('im_relay_published_total', 'Events the outbox relay published since start', ['service'], (set) => {
    set({ service }, relay()?.stats.published ?? 0);
  });
}
