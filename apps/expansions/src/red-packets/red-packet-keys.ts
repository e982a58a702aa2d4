import { Errors, PatchExpansionBody, RED_PACKET_KEYS } from '@im/contracts';
import { KeyState } from '../expansions/expansion.rules';
import { RED_PACKET_TYPE } from './red-packet-message';

/**
 * The expansion keys a red packet's message carries for the packet (`packetExpansion` writes
 * them). They mirror the packet's row, so they belong to the packet: no PATCH may set, remove
 * or clear them, the server key's included, or the message would show a state the packet is not
 * in; nor may a sender put them on an `app:red_packet` message of its own (messaging refuses).
 */
export { RED_PACKET_KEYS };

/** The keys of this message that belong to a red packet (none unless it is a packet's message). */
export function packetKeysOf(objectName: string | null): readonly string[] {
  return objectName === RED_PACKET_TYPE ? RED_PACKET_KEYS : [];
}

/** Refuses, whole, a PATCH that would write or take away a packet's key. */
export function assertLeavesPacketKeys(patch: PatchExpansionBody, packetKeys: readonly string[]): void {
  if (packetKeys.length === 0) return;
  if (patch.clear === true) throw Errors.reservedExpansionKey([...packetKeys], 'red packet');
  const touched = [...Object.keys(patch.set ?? {}), ...(patch.remove ?? [])].filter((k) => packetKeys.includes(k));
  if (touched.length > 0) throw Errors.reservedExpansionKey([...new Set(touched)], 'red packet');
}

/**
 * The keys a member's PATCH is counted against: the packet's keys count from the message's
 * creation, written yet or not (the initial expansion and a claim's update race, and either
 * may land after a member's PATCH). So members get 300 minus the packet's five, and every update
 * of the packet only rewrites or adds its own keys inside room kept for them: it never meets the
 * per-message limit. A key not written yet stands in at version 0, as a missing key would.
 */
export function countingPacketKeys(current: Map<string, KeyState>, packetKeys: readonly string[]): Map<string, KeyState> {
  const missing = packetKeys.filter((k) => !current.has(k));
  if (missing.length === 0) return current;
  return new Map([...current, ...missing.map((k): [string, KeyState] => [k, { value: '', version: 0, ts: 0 }])]);
}
