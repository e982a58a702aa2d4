/**
 * What gateways publish on `<prefix>.presence`. A `full` announcement is one gateway's whole list
 * of users with a live stream, cut into parts that each fit under a byte limit (one message for
 * 100,000 users would be past NATS's 1 MB payload limit); a listener swaps its list for a
 * gateway's once every part of a round arrived. A `delta` says who came and went since, so a
 * change costs a message the size of the change, not of the whole list.
 */
export type PresenceAnnouncement =
  | { kind: 'full'; gatewayId: string; at: number; round: number; part: number; parts: number; userIds: string[] }
  | { kind: 'delta'; gatewayId: string; at: number; online: string[]; offline: string[] };

/** Room left in each part for the fields around the ids. */
const ENVELOPE_BYTES = 256;

/** Cuts ids into lists whose JSON fits in `maxBytes` (at least one id per list, so none is dropped). */
export function chunkIds(ids: string[], maxBytes: number): string[][] {
  const budget = Math.max(1, maxBytes - ENVELOPE_BYTES);
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const id of ids) {
    const bytes = Buffer.byteLength(JSON.stringify(id)) + 1;
    if (current.length > 0 && size + bytes > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(id);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Older gateways sent `{ gatewayId, userIds, at }`: one full announcement in one part. */
export function readAnnouncement(raw: unknown): PresenceAnnouncement | null {
  const a = raw as Partial<PresenceAnnouncement> & { userIds?: string[] };
  if (!a || typeof a.gatewayId !== 'string') return null;
  if (a.kind === 'delta') return { ...a, online: a.online ?? [], offline: a.offline ?? [] } as PresenceAnnouncement;
  if (!Array.isArray(a.userIds)) return null;
  const f = a as Extract<PresenceAnnouncement, { kind: 'full' }>;
  return { kind: 'full', gatewayId: f.gatewayId, at: f.at ?? 0, round: f.round ?? 0, part: f.part ?? 0, parts: f.parts ?? 1, userIds: f.userIds };
}
