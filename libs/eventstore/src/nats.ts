import { jetstream, jetstreamManager, JetStreamClient, JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { ServiceName, Subjects } from '@im/contracts';

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
}

export async function connectNats(url: string, name: string): Promise<Nats> {
  const nc = await connect({ servers: url, name, maxReconnectAttempts: -1 });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc) };
}

/**
 * The stream a service publishes its domain events into. It keeps every event (no age limit)
 * so any projection can be rebuilt by replaying it; the duplicate window absorbs relay re-publishes.
 */
export async function ensureEventStream(jsm: JetStreamManager, subjects: Subjects, service: ServiceName): Promise<void> {
  const name = subjects.stream(service);
  const config = {
    name,
    subjects: [subjects.serviceEvents(service)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: 2 * 60 * 1_000_000_000,
  };
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add(config).catch(async (e) => {
      // Another replica created it between our look and our add.
      await jsm.streams.info(name).catch(() => Promise.reject(e));
    });
  }
}
