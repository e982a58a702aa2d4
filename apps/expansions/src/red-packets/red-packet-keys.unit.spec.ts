import { packetExpansion } from './red-packet.decider';
import { RED_PACKET_TYPE } from './red-packet-message';
import { packetKeysOf, RED_PACKET_KEYS } from './red-packet-keys';

/** What the expansion decider does with these keys is in expansion.decider.unit.spec.ts. */
describe("a red packet's own expansion keys", () => {
  it('are exactly the keys the packet writes, and only on a packet message', () => {
    const initial = packetExpansion({ count: 3, totalAmount: 60, claimedCount: 0, status: 'unclaimed' });
    expect(Object.keys(initial).sort()).toEqual([...RED_PACKET_KEYS].sort());
    expect(packetKeysOf(RED_PACKET_TYPE)).toBe(RED_PACKET_KEYS);
    expect(packetKeysOf('RC:TxtMsg')).toEqual([]);
    expect(packetKeysOf(null)).toEqual([]);
  });
});
