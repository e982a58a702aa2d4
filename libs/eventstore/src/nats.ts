import { jetstream, jetstreamManager, JetStreamClient, JetStreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import { connect, NatsConnection } from '@nats-io/transport-node';
import { ServiceName, Subjects } from '@im/contracts';
import { inboxPrefixOf, NatsAuth, natsAuthFromEnv, natsAuthOptions } from './nats-auth';

export * from './nats-auth';

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Where this connection's replies arrive (a subscription of one's own must use it too). */
  inboxPrefix: string;
}

/**
 * The one place a process connects to NATS. Credentials come from the caller or, by default,
 * from the environment (nats-auth.ts); none means an anonymous connection to an open server.
 */
export async function connectNats(url: string, name: string, auth: NatsAuth | undefined = natsAuthFromEnv()): Promise<Nats> {
  // noAsyncTraces: without it every request and every js.publish builds a RequestError and a
  // TimeoutError up front (a stack trace each) in case it fails: 7 % of messaging's CPU under
  // load (cpu-per-message profile), for a trace that names nats.js' own frames anyway.
  const nc = await connect({ servers: url, name, maxReconnectAttempts: -1, noAsyncTraces: true, ...natsAuthOptions(auth) });
  return { nc, js: jetstream(nc), jsm: await jetstreamManager(nc), inboxPrefix: inboxPrefixOf(auth) };
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
