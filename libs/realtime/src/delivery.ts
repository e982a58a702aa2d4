import { Subjects } from '@im/contracts';
import { DiscardPolicy, JetStreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';

/**
 * How long a device may be away and still resume its stream with Last-Event-ID (the delivery
 * stream's max age): `STREAM_REPLAY_SECONDS`, default one day.
 */
export const DEFAULT_REPLAY_SECONDS = 24 * 3600;

/**
 * The stream of per-user deliveries (`<prefix>.deliver.<user>`), written by the push service's
 * fan-out and read by the gateways. Its sequence is the SSE event id. Either side may create it;
 * a different replay window than the stream has is applied to it (the last to start wins).
 */
export async function ensureDeliveryStream(jsm: JetStreamManager, subjects: Subjects, replaySeconds = DEFAULT_REPLAY_SECONDS): Promise<void> {
  const name = subjects.deliveryStream();
  const maxAge = replaySeconds * 1_000_000_000;
  const info = await jsm.streams.info(name).catch(() => null);
  if (info) {
    if (info.config.max_age !== maxAge) await jsm.streams.update(name, { ...info.config, max_age: maxAge }).catch(() => undefined);
    return;
  }
  await jsm.streams
    .add({
      name,
      subjects: [subjects.deliveryWildcard()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: maxAge,
      duplicate_window: 2 * 60 * 1_000_000_000,
    })
    .catch(async (e) => {
      await jsm.streams.info(name).catch(() => Promise.reject(e));
    });
}

/**
 * A delivery that is not an event: "what was fanned out before this was not kept for you". The
 * push service stores it on a user's delivery subject when they come back after being away longer
 * than it keeps deliveries for absent users (or when it does not know them: after its restart);
 * the gateway turns it into an SSE `resync` event at its place in the stream.
 */
export const RESYNC_MARKER_TYPE = 'stream.resync';

export interface ResyncMarker {
  type: typeof RESYNC_MARKER_TYPE;
  data: { reason: ResyncReason };
}

/**
 * Why a stream says `resync`: the Last-Event-ID could not be read (`malformed`), is past the end
 * of the stream (`unknown`: from another deployment, or before the stream was reset), is older
 * than the replay window (`too_old`), or deliveries were not kept while the user was away
 * (`not_kept`).
 */
export type ResyncReason = 'malformed' | 'unknown' | 'too_old' | 'not_kept';
