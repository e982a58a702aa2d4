import { Subjects } from '@im/contracts';
import { Nats } from '@im/eventstore';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, StreamConfig } from '@nats-io/jetstream';
import { IdempotencyEntry } from './idempotency';

/** JetStream's "the subject's last sequence is not the one you expected": someone else wrote first. */
const WRONG_LAST_SEQUENCE = 10071;

export interface StoredEntry {
  entry: IdempotencyEntry;
  /** The stream sequence of this entry: the next write to the key must expect it. */
  seq: number;
}

/**
 * The remembered answers, shared by every gateway replica: a JetStream stream used as a
 * key-value bucket (one subject per key hash, only its last message kept, `max_age` = the TTL,
 * so old keys are pruned by NATS itself). The gateway owns no tables; this is its only state.
 * Every write is compare-and-set on the subject's last sequence, so two replicas racing for one
 * key cannot both run it.
 */
export class IdempotencyStore {
  constructor(
    private readonly nats: Nats,
    private readonly subjects: Subjects,
    private readonly ttlMs: number,
  ) {}

  /** Creates the stream, or brings its age limit to the configured TTL. Either replica may. */
  async ensure(): Promise<void> {
    const name = this.subjects.idempotencyStream();
    const maxAge = this.ttlMs * 1_000_000;
    const config: Partial<StreamConfig> & { name: string } = {
      name,
      subjects: [this.subjects.idempotencyWildcard()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: 1,
      max_age: maxAge,
      duplicate_window: Math.min(maxAge, 2 * 60 * 1_000_000_000),
    };
    const info = await this.nats.jsm.streams.info(name).catch(() => null);
    if (!info) {
      await this.nats.jsm.streams.add(config).catch(async (e) => {
        await this.nats.jsm.streams.info(name).catch(() => Promise.reject(e));
      });
    } else if (info.config.max_age !== maxAge) {
      await this.nats.jsm.streams.update(name, { ...info.config, max_age: maxAge, duplicate_window: config.duplicate_window });
    }
  }

  async get(hash: string): Promise<StoredEntry | null> {
    const msg = await this.nats.jsm.streams.getMessage(this.subjects.idempotencyStream(), { last_by_subj: this.subjects.idempotency(hash) });
    if (!msg) return null;
    return { entry: msg.json<IdempotencyEntry>(), seq: msg.seq };
  }

  /** Writes `entry` if the key's last write is still `expectedSeq` (0: never written); null if not. */
  async put(hash: string, entry: IdempotencyEntry, expectedSeq: number): Promise<number | null> {
    try {
      const ack = await this.nats.js.publish(this.subjects.idempotency(hash), JSON.stringify(entry), { expect: { lastSubjectSequence: expectedSeq } });
      return ack.seq;
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE) return null;
      throw e;
    }
  }
}
