import { Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { RESYNC_MARKER_TYPE, ResyncMarker } from '@im/realtime';
import { headers } from '@nats-io/transport-node';

/**
 * Stores a resync marker on each user's delivery subject: called by the presence board when a
 * user comes back after longer than deliveries are kept for absent users (`STREAM_RECENT_MS`),
 * or is unknown to it (after this service restarted), before the fan-out counts them as around.
 * Published on the connection the fan-out publishes on, so it lands before any copy kept for
 * them from now on; a device resuming from before it gets `resync` at that place instead of a
 * silent gap. Two push replicas hear the same announcement: the message id makes it one marker.
 */
export function resyncMarkers(nats: Nats, subjects: Subjects): (userIds: string[], at: number) => void {
  const marker: ResyncMarker = { type: RESYNC_MARKER_TYPE, data: { reason: 'not_kept' } };
  const payload = new TextEncoder().encode(JSON.stringify(marker));
  return (userIds, at) => {
    for (const u of userIds) {
      const h = headers();
      h.set('Nats-Msg-Id', `resync:${u}:${at}`);
      nats.nc.publish(subjects.deliver(u), payload, { headers: h });
    }
  };
}
