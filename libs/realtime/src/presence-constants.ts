/**
 * Presence without shared storage: every gateway announces, on `<prefix>.presence`, the users
 * with a live stream on it: the full list every few seconds (in parts under the payload limit),
 * and who came and went at once on a change. Anyone who cares (the push service) keeps a board
 * of each gateway's list and forgets a gateway that fell silent. A newcomer asks on
 * `<prefix>.presence.sync` for an immediate full announcement instead of waiting.
 */
export const PRESENCE_INTERVAL_MS = 5_000;
/** A gateway silent for this long is gone, and so are its users' streams. */
export const PRESENCE_EXPIRY_MS = 3 * PRESENCE_INTERVAL_MS;
/** How long `PresenceBoard.recentlyOnline` remembers a user after their last announcement. */
export const LAST_SEEN_KEEP_MS = 60 * 60 * 1000;
/** Each presence message stays under this (NATS's default max_payload is 1 MB). */
export const PRESENCE_CHUNK_BYTES = 256 * 1024;
