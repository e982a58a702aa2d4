import { Subjects } from '@im/contracts';
import { DiscardPolicy, JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';

/** How long a device may be away and still resume its stream with Last-Event-ID. */
export const DELIVERY_RETENTION_MS = 24 * 3600 * 1000;

/**
 * The stream of per-user deliveries (`<prefix>.deliver.<user>`), written by the push service's
 * fan-out and read by the gateways. Its sequence is the SSE event id. Either side may create it.
 */
export async function ensureDeliveryStream(jsm: JetStreamManager, subjects: Subjects): Promise<void> {
  const name = subjects.deliveryStream();
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams
      .add({
        name,
        subjects: [subjects.deliveryWildcard()],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: DELIVERY_RETENTION_MS * 1_000_000,
        duplicate_window: 2 * 60 * 1_000_000_000,
      })
      .catch(async (e) => {
        await jsm.streams.info(name).catch(() => Promise.reject(e));
      });
  }
}
