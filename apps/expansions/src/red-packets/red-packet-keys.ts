import { RED_PACKET_KEYS } from '@im/contracts';
import { RED_PACKET_TYPE } from './red-packet-message';

/**
 * The expansion keys a red packet's message carries for the packet (`packetExpansion` writes
 * them). They mirror the packet's row, so they belong to the packet: no PATCH may set, remove
 * or clear them, the server key's included (the expansion decider holds them as reserved keys),
 * or the message would show a state the packet is not in; nor may a sender put them on an
 * `app:red_packet` message of its own (messaging refuses).
 */
export { RED_PACKET_KEYS };

/** The keys of this message that belong to a red packet (none unless it is a packet's message). */
export function packetKeysOf(objectName: string | null): readonly string[] {
  return objectName === RED_PACKET_TYPE ? RED_PACKET_KEYS : [];
}
